// The console's load figures: which endpoint a path counts under, latency
// histograms and their quantiles, and the 15-minute slot rings of requests
// and of the node's counters, on an injected measurement clock.
#include <catch2/catch.hpp>

#include <cmath>

#include "edge/endpoints.hpp"
#include "edge/rate_history.hpp"
#include "edge/request_metrics.hpp"

using namespace broker::edge;

namespace {
constexpr int64_t ms = 1'000'000;
constexpr int64_t s = 1'000'000'000;
} // namespace

TEST_CASE("a path counts under its route template, never its ids", "[load]") {
  CHECK(endpoint_of("/v1/orders") == "/v1/orders");
  CHECK(endpoint_of("/v1/orders/123") == "/v1/orders/{orderId}");
  CHECK(endpoint_of("/v1/stocks/search") == "/v1/stocks/search"); // the literal wins
  CHECK(endpoint_of("/v1/stocks/TCS") == "/v1/stocks/{symbol}");
  CHECK(endpoint_of("/v1/stocks/TCS/history") == "/v1/stocks/{symbol}/history");
  CHECK(endpoint_of("/v1/watchlists/7/symbols/INFY") == "/v1/watchlists/{id}/symbols/{symbol}");
  CHECK(endpoint_of("/admin/v1/actors/42/trace") == "/admin/v1/actors/{id}/trace");
  CHECK(endpoint_of("/") == "/");
  // An empty segment, an extra one, or a prefix alone match nothing.
  CHECK(endpoint_of("/v1/orders/") == "unmatched");
  CHECK(endpoint_of("/v1/orders/1/fills") == "unmatched");
  CHECK(endpoint_of("/v1") == "unmatched");
  CHECK(endpoint_of("/v1/ordersX") == "unmatched");
  CHECK(method_label("DELETE") == "DELETE");
  CHECK(method_label("BREW") == "OTHER");
}

TEST_CASE("a latency histogram buckets by upper bound and interpolates quantiles", "[load]") {
  latency_histogram h;
  CHECK(h.quantile(0.99) == 0);
  static_assert(latency_histogram::bounds_s[2] == 0.001 && latency_histogram::bounds_s[3] == 0.0025);
  h.add(1 * ms, false); // on the bound: le 1 ms
  CHECK(h.buckets[2] == 1);
  for (int i = 0; i < 99; ++i)
    h.add(2 * ms, i == 0); // le 2.5 ms
  CHECK(h.buckets[3] == 99);
  CHECK(h.count == 100);
  CHECK(h.server_errors == 1);
  CHECK(h.sum_ns == 1 * ms + 99 * 2 * ms);
  // Rank 50 is the 49th of the 99 in (1, 2.5] ms.
  CHECK(h.quantile(0.5) == Approx(0.001 + 0.0015 * 49.0 / 99.0));
  CHECK(h.quantile(0.01) == Approx(0.001)); // the first sample, top of its bucket
  h.add(60 * s, false); // beyond every bound
  CHECK(h.buckets.back() == 1);
  CHECK(h.quantile(1.0) == latency_histogram::bounds_s.back());
}

TEST_CASE("requests are counted per endpoint and per 10 s slot over 15 minutes", "[load]") {
  int64_t now = 1000 * s;
  request_metrics m{[&] { return now; }};
  m.record("POST", "/v1/orders", 201, 3 * ms);
  m.record("POST", "/v1/orders", 503, 700 * ms);
  m.record("GET", "/v1/orders", 200, 1 * ms);
  now += 10 * s; // the next slot
  m.record("POST", "/v1/orders", 201, 3 * ms);

  auto totals = m.totals();
  REQUIRE(totals.size() == 2);
  CHECK(totals[0].method == "GET"); // by endpoint, then method
  auto& post = totals[1];
  CHECK(post.since_start.count == 3);
  CHECK(post.by_status.at(201) == 2);
  CHECK(post.by_status.at(503) == 1);
  CHECK(post.since_start.server_errors == 1);

  // The slot still filling is not shown; the one that closed is the last.
  auto h = m.history();
  REQUIRE(h.endpoints.size() == 2);
  auto& slots = h.endpoints[1].slots;
  REQUIRE(slots.size() == 90);
  CHECK(slots.back().count == 2);
  CHECK(slots[88].count == 0);
  CHECK(h.end_ns == 1010 * s);
  now += 10 * s;
  h = m.history();
  CHECK(h.endpoints[1].slots[88].count == 2);
  CHECK(h.endpoints[1].slots[89].count == 1);

  // 15 minutes on, a slot's place in the ring comes round again: the old
  // figures are not shown as new ones.
  now += 900 * s;
  h = m.history();
  uint64_t shown = 0;
  for (auto& slot : h.endpoints[1].slots)
    shown += slot.count;
  CHECK(shown == 0);
  m.record("POST", "/v1/orders", 201, 3 * ms);
  now += 10 * s;
  h = m.history();
  CHECK(h.endpoints[1].slots.back().count == 1);
  CHECK(h.endpoints[1].since_start.count == 4);
}

TEST_CASE("a counter's rate per slot is what it gained since the slot before", "[load]") {
  int64_t now = 500 * s;
  rate_history r{[&] { return now; }, 10 * s, 6};
  r.observe("quotePushes", 100);
  now += 10 * s;
  r.observe("quotePushes", 150);
  now += 5 * s;
  r.observe("quotePushes", 300); // the slot's last value counts
  now += 5 * s;
  r.observe("quotePushes", 310);
  now += 10 * s; // skipped a slot: no observation in 530..540
  now += 10 * s;
  r.observe("quotePushes", 400);
  now += 10 * s;
  r.observe("quotePushes", 5); // reset: unknown, not negative
  now += 10 * s; // 560: the slot still filling is not shown
  auto h = r.history();
  REQUIRE(h.size() == 1);
  auto& v = h[0].per_second;
  REQUIRE(v.size() == 6);
  // Slots 500, 510, 520, 530, 540, 550 (the last closed one).
  CHECK_FALSE(v[0]);           // no slot before it to count from
  CHECK(v[1] == Approx(20.0)); // 100 -> 300
  CHECK(v[2] == Approx(1.0));  // 300 -> 310
  CHECK_FALSE(v[3]);           // not observed
  CHECK_FALSE(v[4]);           // its slot before was not
  CHECK_FALSE(v[5]);           // went down: reset
}
