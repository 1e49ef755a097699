#include "actors/commit_timings.hpp"

namespace broker {

void commit_timings::record(std::chrono::steady_clock::duration took) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
  commits_.fetch_add(1, std::memory_order_relaxed);
  total_us_.fetch_add(us, std::memory_order_relaxed);
  // One writer: a plain compare is enough.
  if (us > max_us_.load(std::memory_order_relaxed))
    max_us_.store(us, std::memory_order_relaxed);
  for (size_t i = 0; i < slow_ms.size(); ++i)
    if (us > slow_ms[i] * 1000)
      slower_than_[i].fetch_add(1, std::memory_order_relaxed);
  auto b = std::lower_bound(bucket_ms.begin(), bucket_ms.end(), us, [](int64_t bound_ms, int64_t v) {
    return bound_ms * 1000 < v; // le: v <= bound
  });
  buckets_[static_cast<size_t>(b - bucket_ms.begin())].fetch_add(1, std::memory_order_relaxed);
}

commit_timings::figures commit_timings::read() const {
  figures f;
  f.commits = commits_.load(std::memory_order_relaxed);
  if (f.commits > 0)
    f.mean_ms = static_cast<double>(total_us_.load(std::memory_order_relaxed)) / 1000.0
                / static_cast<double>(f.commits);
  f.total_s = static_cast<double>(total_us_.load(std::memory_order_relaxed)) / 1e6;
  for (size_t i = 0; i < buckets_.size(); ++i)
    f.buckets[i] = buckets_[i].load(std::memory_order_relaxed);
  f.max_ms = static_cast<double>(max_us_.load(std::memory_order_relaxed)) / 1000.0;
  for (size_t i = 0; i < slow_ms.size(); ++i)
    f.slower_than[i] = slower_than_[i].load(std::memory_order_relaxed);
  return f;
}

} // namespace broker
