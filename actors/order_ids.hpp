#pragma once
// Order ids: node-wide and increasing, so the store appends each new order
// (and its executions and idempotency key) at the end of its tables. Shared by
// every account actor of a node; fetch_add makes each id unique in a run, and
// the node starts past the highest id the store holds, so none is reused.
// (A cluster will put the node's number in the high bits.) Journal entries
// and notifications are numbered the same way, each by a source of its own.
#include <atomic>
#include <memory>

#include "protocol/types.hpp"

namespace broker {

class order_id_source {
public:
  explicit order_id_source(order_id first) : next_(first) {}
  order_id next() { return next_.fetch_add(1, std::memory_order_relaxed); }

private:
  std::atomic<order_id> next_;
};

// The node-wide counters an account book draws from.
struct id_sources {
  std::shared_ptr<order_id_source> orders;
  std::shared_ptr<order_id_source> journal_entries;
  std::shared_ptr<order_id_source> notifications;
};

} // namespace broker
