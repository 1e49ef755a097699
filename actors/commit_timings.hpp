#pragma once
// How long the persistence actor's transactions take, wall time, for reports
// (order_bench prints them). A slow commit holds every acknowledgement queued
// behind it, and on a VM the slow ones are mostly the host's I/O: counting
// them in each run shows how much of a latency tail is the disk's.
// Written by the persistence thread, read by anyone: relaxed atomics, as the
// figures are only read once the commits they count are over.
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>

namespace broker {

class commit_timings {
public:
  // The thresholds counted, in ms.
  static constexpr std::array<int64_t, 4> slow_ms{5, 10, 20, 50};
  // Histogram buckets (upper bounds, ms) for /metrics; one more above the last.
  static constexpr std::array<int64_t, 10> bucket_ms{1, 2, 5, 10, 20, 50, 100, 250, 500, 1000};

  void record(std::chrono::steady_clock::duration took);

  struct figures {
    uint64_t commits = 0;
    double mean_ms = 0;
    double max_ms = 0;
    std::array<uint64_t, slow_ms.size()> slower_than{}; // commits over each threshold
    double total_s = 0;
    std::array<uint64_t, bucket_ms.size() + 1> buckets{}; // each its own, not cumulative
  };
  figures read() const;

private:
  std::atomic<uint64_t> commits_{0};
  std::atomic<int64_t> total_us_{0};
  std::atomic<int64_t> max_us_{0};
  std::array<std::atomic<uint64_t>, slow_ms.size()> slower_than_{};
  std::array<std::atomic<uint64_t>, bucket_ms.size() + 1> buckets_{};
};

} // namespace broker
