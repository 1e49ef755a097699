// commit_timings counts the persistence actor's slow transactions for the
// benchmark's report: its thresholds are strict ("over"), its mean and max exact.
#include <catch2/catch.hpp>

#include <chrono>

#include "actors/commit_timings.hpp"

TEST_CASE("commit timings count commits over each threshold", "[persistence]") {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  broker::commit_timings t;
  CHECK(t.read().commits == 0);
  CHECK(t.read().mean_ms == 0);
  t.record(milliseconds{1});
  t.record(milliseconds{5}); // on a threshold: not over it
  t.record(microseconds{7500});
  t.record(milliseconds{60});
  auto f = t.read();
  CHECK(f.commits == 4);
  CHECK(f.max_ms == Approx(60.0));
  CHECK(f.mean_ms == Approx((1 + 5 + 7.5 + 60) / 4.0));
  static_assert(broker::commit_timings::slow_ms[0] == 5 && broker::commit_timings::slow_ms[3] == 50);
  CHECK(f.slower_than[0] == 2); // over 5 ms: 7.5 and 60
  CHECK(f.slower_than[1] == 1); // over 10 ms: 60
  CHECK(f.slower_than[2] == 1);
  CHECK(f.slower_than[3] == 1);
}

TEST_CASE("commit timings fill histogram buckets by upper bound", "[persistence]") {
  using std::chrono::microseconds;
  using std::chrono::milliseconds;
  broker::commit_timings t;
  t.record(microseconds{400});  // le 1 ms
  t.record(milliseconds{1});    // on the bound: still le 1 ms
  t.record(microseconds{1001}); // le 2 ms
  t.record(milliseconds{5000}); // above every bound
  auto f = t.read();
  static_assert(broker::commit_timings::bucket_ms[0] == 1 && broker::commit_timings::bucket_ms[1] == 2);
  CHECK(f.buckets[0] == 2);
  CHECK(f.buckets[1] == 1);
  CHECK(f.buckets.back() == 1);
  uint64_t sum = 0;
  for (auto b : f.buckets)
    sum += b;
  CHECK(sum == f.commits);
  CHECK(f.total_s == Approx(0.0004 + 0.001 + 0.001001 + 5.0));
}
