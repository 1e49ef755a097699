#include "edge/rate_history.hpp"

#include <cassert>
#include <chrono>

namespace broker::edge {

rate_history::rate_history(std::function<int64_t()> now_ns, int64_t slot_ns, size_t slots)
  : now_ns_(std::move(now_ns)), slot_ns_(slot_ns), slots_(slots) {
  if (!now_ns_)
    now_ns_ = [] {
      return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
    };
  assert(slot_ns_ > 0 && slots_ > 0);
}

void rate_history::observe(std::string_view name, uint64_t cumulative) {
  int64_t slot = now_ns_() / slot_ns_;
  std::lock_guard<std::mutex> guard{mutex_};
  auto it = rings_.find(name);
  if (it == rings_.end()) {
    // The shown slots, the one before the first of them (its baseline) and
    // the current one.
    ring r;
    r.last.assign(slots_ + 2, 0);
    r.slot_of.assign(slots_ + 2, -1);
    it = rings_.emplace(std::string{name}, std::move(r)).first;
  }
  auto& r = it->second;
  size_t i = static_cast<size_t>(slot % static_cast<int64_t>(r.last.size()));
  r.last[i] = cumulative;
  r.slot_of[i] = slot;
}

std::vector<rate_history::series> rate_history::history() const {
  int64_t current = now_ns_() / slot_ns_;
  double slot_s = static_cast<double>(slot_ns_) / 1e9;
  std::vector<series> out;
  std::lock_guard<std::mutex> guard{mutex_};
  for (auto& [name, r] : rings_) {
    auto n = static_cast<int64_t>(r.last.size());
    auto value_at = [&](int64_t slot) -> std::optional<uint64_t> {
      if (slot < 0)
        return std::nullopt;
      size_t i = static_cast<size_t>(slot % n);
      return r.slot_of[i] == slot ? std::optional{r.last[i]} : std::nullopt;
    };
    series s;
    s.name = name;
    s.per_second.resize(slots_);
    for (size_t k = 0; k < slots_; ++k) {
      int64_t slot = current - static_cast<int64_t>(slots_ - k);
      auto before = value_at(slot - 1), at = value_at(slot);
      // A counter never goes down; one that did was reset (a restart of
      // what counts it), and its slot is unknown rather than negative.
      if (before && at && *at >= *before)
        s.per_second[k] = static_cast<double>(*at - *before) / slot_s;
    }
    out.push_back(std::move(s));
  }
  return out;
}

} // namespace broker::edge
