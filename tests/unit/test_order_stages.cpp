#include <catch2/catch.hpp>

#include <numeric>

#include "sim/order_stages.hpp"

using broker::sim::order_timeline;
using broker::sim::split_stages;
using broker::sim::stage_split;

namespace {

// An order whose stages take the given ns, from `at`: driver late, to the
// account, mailbox, wait, commit (on a CPU, waiting for one, blocked), back.
order_timeline order_with(int64_t at, std::array<int64_t, stage_split::count> ns) {
  order_timeline o;
  o.scheduled = at;
  int64_t t = at + ns[0];
  o.sent = t;
  o.persistence.known = true;
  o.persistence.split = true;
  o.persistence.handed_ns = t += ns[1];
  o.persistence.arrived_ns = t += ns[2];
  o.persistence.start_ns = t += ns[3];
  o.persistence.commit_cpu_ns = ns[4];
  o.persistence.commit_runq_ns = ns[5];
  o.persistence.end_ns = t += ns[4] + ns[5] + ns[6];
  o.acked = t + ns[7];
  return o;
}

} // namespace

TEST_CASE("the stage split finds the stage that made orders slow", "[bench]") {
  std::vector<order_timeline> orders;
  // 990 orders of ~2 ms, each a little slower than the one before, then 10
  // that waited 20 ms in persistence's mailbox.
  for (int64_t i = 0; i < 990; ++i)
    orders.push_back(order_with(i * 50'000, {100'000, 200'000, 300'000, 50'000, 300'000 + i * 100, 0,
                                             300'000, 400'000}));
  for (int64_t i = 0; i < 10; ++i)
    orders.push_back(order_with(i * 50'000, {100'000, 200'000, 20'000'000, 50'000, 300'000, 0,
                                             300'000, 400'000}));
  order_timeline unknown; // persistence never saw it: left out
  unknown.acked = 5;
  orders.push_back(unknown);

  auto s = split_stages(orders);
  CHECK(s.orders == 1000);
  // The p99 (nearest rank 990) is the slowest ordinary order: it and the 10 are "slow".
  CHECK(s.slow_orders == 11);
  CHECK(s.slow_threshold_ms == Approx(1.65 + 0.0989).epsilon(1e-6));
  CHECK(s.slow_share[2] == Approx(10.0 / 11)); // the mailbox, for all but one
  CHECK(s.slow_p50_ms[2] == Approx(20.0));
  CHECK(s.p50_ms[2] == Approx(0.3));            // typical orders barely wait there
  CHECK(s.p50_ms[4] == Approx(0.3 + 0.0489)); // rank 500: 10 slow ones, then the 490th ordinary one
  // The stages' means add up to the slow orders' mean latency.
  double total = std::accumulate(std::begin(s.slow_mean_ms), std::end(s.slow_mean_ms), 0.0);
  double slow_mean = (1.65 + 0.0989 + 10 * (1.65 - 0.3 + 20.0)) / 11;
  CHECK(total == Approx(slow_mean).epsilon(1e-6));
  CHECK(s.unsplit_commits == 0);
}

TEST_CASE("a commit without a CPU split counts as on a CPU, and is counted", "[bench]") {
  auto o = order_with(0, {0, 0, 0, 0, 100'000, 200'000, 300'000, 0});
  o.persistence.split = false;
  auto s = split_stages({o});
  CHECK(s.unsplit_commits == 1);
  CHECK(s.p50_ms[4] == Approx(0.6)); // the whole commit
  CHECK(s.p50_ms[5] == Approx(0.0).margin(1e-9));
  CHECK(s.p50_ms[6] == Approx(0.0).margin(1e-9));
}

TEST_CASE("the stage split of no known order is empty", "[bench]") {
  std::vector<order_timeline> orders(3);
  auto s = split_stages(orders);
  CHECK(s.orders == 0);
  CHECK(s.slow_orders == 0);
}
