#pragma once
// The console's table of actors: which ones (kind, key), in what order (the
// deepest mailboxes, the busiest, ...), how many, and each one's message rate
// since the table was last drawn. Shared by GET /admin/v1/actors and the live
// feed, so both show the same figures the same way.
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "actors/census.hpp"
#include "protocol/json_writer.hpp"

namespace broker::edge {

struct actor_query {
  std::optional<actor_kind> kind;
  std::string key;              // substring of the key; "" matches all
  std::string sort = "mailbox"; // mailbox, messages, rate, handler, id
  int64_t limit = 50;           // 1 .. max_limit
  static constexpr int64_t max_limit = 1000;
};

// A field of a query, checked: nullopt and `field`/`message` set when bad.
struct query_problem {
  std::string field, message;
};
std::optional<query_problem> set_query_field(actor_query& q, const std::string& name, const std::string& value);

class actor_table {
public:
  // {total, matched, sort, limit, kinds: {kind: n}, actors: [...]}
  std::string render(const std::vector<actor_sample>& samples, const actor_query& q);
  // One actor's row (GET /admin/v1/actors/ID).
  void write_row(json_writer& w, const actor_sample& s);

private:
  double rate_of(const actor_sample& s); // caller holds mutex_

  std::mutex mutex_;
  std::map<uint64_t, std::pair<uint64_t, int64_t>> last_seen_; // id -> (messages, at_ns)
};

} // namespace broker::edge
