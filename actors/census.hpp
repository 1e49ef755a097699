#pragma once
// The node's census of its long-lived actors, for the operator console (the
// inspector of DESIGN.md). Each actor enrolls as it starts, with its kind, its
// key (user id, symbol, ...) and the actor that supervises it, and leaves as it
// dies. Its entry carries a gauge that the actor alone writes (messages
// handled, time in handlers, last activity) and anyone reads.
//
// Mailbox depth is not here: CAF 0.17 lets only the actor itself read its
// mailbox, so the console asks each actor with a high-priority request that
// jumps a backlog (instrumented(), actors/instrumented_behavior.hpp).
//
// Thread-safe: enrolling, leaving and reading take one mutex; the gauges are
// relaxed atomics with a single writer each.
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/actor_addr.hpp>

namespace broker {

enum class actor_kind : uint8_t {
  supervisor,
  account,
  symbol,
  session,
  connector,
  exchange_link,
  persistence,
  store_reader,
  directory,
  users,
  gateway,
  quote_fanout,
  market_board,
  operator_desk,
};
const char* to_string(actor_kind k);
std::optional<actor_kind> parse_actor_kind(const std::string& s);

// One message an actor handled while traced: what it was (its first atom, or
// its first element's type; never its contents, which may hold a password),
// who sent it, and how long the handler took.
struct traced_message {
  int64_t at_ns = 0; // census clock, when the handler ended
  std::string type;
  uint64_t sender = 0; // actor id; 0: anonymous
  int64_t handler_ns = 0;
};

// Written by its actor only, so relaxed stores suffice; readers may see one
// handler's figures a little late, never torn.
struct actor_gauge {
  std::atomic<uint64_t> messages{0};   // messages its behavior handled
  std::atomic<uint64_t> handler_ns{0}; // time spent in those handlers
  std::atomic<int64_t> last_active_ns{0}; // census clock; 0: never
  // A trace: on while the census clock is before trace_until_ns (it switches
  // itself off), at most trace_capacity messages kept, the oldest dropped.
  // Off, it costs the actor one relaxed load per message.
  static constexpr size_t trace_capacity = 200;
  std::atomic<int64_t> trace_until_ns{0};
  mutable std::mutex trace_mutex;
  std::vector<traced_message> trace; // a ring once full
  size_t trace_next = 0;             // where the next one goes, once full
  uint64_t traced = 0;               // handled while traced, kept or not
  void record(traced_message m);
  std::vector<traced_message> traced_so_far() const; // oldest first
  void start_trace(int64_t until_ns); // clears what an earlier trace kept
};

struct census_entry {
  uint64_t id = 0; // CAF's actor id
  actor_kind kind = actor_kind::supervisor;
  std::string key;
  uint64_t parent = 0;      // id of the supervising actor; 0: the node itself
  uint32_t incarnation = 1; // 2 after its first restart (same kind and key), ...
  int64_t enrolled_ns = 0;  // census clock
  caf::actor_addr address;
  std::shared_ptr<actor_gauge> gauge; // its actor writes the figures; anyone may start a trace
};

// One actor as the console shows it: its entry, its gauge read at `at_ns`,
// and its mailbox depth as the actor itself answered it.
struct actor_sample {
  census_entry entry;
  int64_t mailbox = -1; // -1: it did not answer in time (or died meanwhile)
  uint64_t messages = 0;
  uint64_t handler_ns = 0;
  int64_t last_active_ns = 0;
  int64_t at_ns = 0;
  void read_gauge(int64_t now_ns); // the figures from entry.gauge, as of now
};

// Held by shared_ptr: an actor that dies after the census is gone finds it gone.
class actor_census : public std::enable_shared_from_this<actor_census> {
public:
  // `now_ns`: the clock for handler time and activity; a measurement, not
  // business time. Default: the steady clock.
  explicit actor_census(std::function<int64_t()> now_ns = {});

  // Enrolls the actor at `address` (it leaves on its own when it dies) and
  // answers the gauge it must write. An actor enrolls once.
  std::shared_ptr<actor_gauge> enroll(const caf::actor_addr& address, actor_kind kind,
                                      std::string key, uint64_t parent);
  // A key learnt after enrolling (a session's user once signed in).
  void set_key(uint64_t id, std::string key);
  std::vector<census_entry> entries() const; // by id
  std::optional<census_entry> find(uint64_t id) const;
  // How often an actor of this kind and key was enrolled again after the first.
  uint32_t restarts(actor_kind kind, const std::string& key) const;
  uint64_t restarts(actor_kind kind) const; // of every key
  // What the actors of a kind that have left had counted, so that totals
  // (Prometheus counters) never go down when an actor dies.
  struct retired_totals {
    uint64_t messages = 0;
    uint64_t handler_ns = 0;
  };
  retired_totals retired(actor_kind kind) const;
  // Messages handled by every actor so far, the dead included.
  uint64_t messages_total() const;
  size_t size() const;
  int64_t now_ns() const { return now_ns_(); }
  // Traces one actor's messages for `duration_ns` from now; false: no such actor.
  bool start_trace(uint64_t id, int64_t duration_ns);

private:
  void leave(uint64_t id);

  std::function<int64_t()> now_ns_;
  mutable std::mutex mutex_;
  std::unordered_map<uint64_t, census_entry> entries_;
  std::map<std::pair<actor_kind, std::string>, uint32_t> incarnations_;
  std::map<actor_kind, retired_totals> retired_;
};

} // namespace broker
