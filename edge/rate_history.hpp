#pragma once
// Rates of the node's counters (quotes fanned out, store commits, ticks,
// actor messages) per time slot over the last 15 minutes, for the console's
// charts. The counters are cumulative; a ticker observes each at least once a
// slot, and a slot's rate is what its counter gained since the previous slot,
// per second. Thread-safe: one mutex.
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker::edge {

class rate_history {
public:
  // The same resolution as request_metrics: 90 slots of 10 s.
  explicit rate_history(std::function<int64_t()> now_ns = {}, int64_t slot_ns = 10'000'000'000,
                        size_t slots = 90);

  // The counter's cumulative value now.
  void observe(std::string_view name, uint64_t cumulative);

  struct series {
    std::string name;
    // The last `slots` complete slots, oldest first; nullopt where the counter
    // was not observed in that slot or the one before it.
    std::vector<std::optional<double>> per_second;
  };
  std::vector<series> history() const; // by name
  int64_t slot_ns() const { return slot_ns_; }

private:
  struct ring {
    std::vector<uint64_t> last;   // the last value observed in the slot
    std::vector<int64_t> slot_of; // which slot that was (-1: none)
  };

  std::function<int64_t()> now_ns_;
  int64_t slot_ns_;
  size_t slots_;
  mutable std::mutex mutex_;
  std::map<std::string, ring, std::less<>> rings_;
};

} // namespace broker::edge
