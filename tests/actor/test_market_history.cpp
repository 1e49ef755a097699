// Charts that reach back before today: past trading days come from the store
// (through the store reader), today from the symbol actor. A whole node on
// the deterministic scheduler with a real SQLite store.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "protocol/clock.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path()
           / ("broker-history-" + name + "-" + std::to_string(::getpid()));
  std::filesystem::remove_all(d);
  return d;
}

candle minute(const std::string& symbol, timestamp start, money close, int64_t volume) {
  return candle{symbol, start, close - 5, close + 5, close - 10, close, volume};
}

constexpr int64_t minute_ns = 60'000'000'000;

} // namespace

TEST_CASE("a chart reaching back before today reads past days from the store", "[market][candles]") {
  auto dir = fresh_dir("past");
  {
    node_harness h{dir, {std::chrono::milliseconds{0}, false, true}};
    timestamp today = h.broker->calendar().session_start(h.clock.now());
    timestamp yesterday = h.broker->calendar().session_start(today - 1);
    REQUIRE(yesterday < today);
    // Yesterday's bars, as the symbol actors wrote them then (another symbol's too).
    write_batch past;
    past.candles = {minute("TCS", yesterday + 2 * minute_ns, 385'000, 7),
                    minute("TCS", yesterday + 1 * minute_ns, 384'000, 3),
                    minute("INFY", yesterday + 1 * minute_ns, 150'000, 9),
                    minute("TCS", yesterday - 5 * minute_ns, 380'000, 1)}; // the day before
    h.db->commit(past);
    // Today, a trade on the live symbol actor.
    timestamp now = h.clock.now();
    caf::anon_send(h.broker->symbols().of("TCS"), ticks_atom::value,
                   std::vector<tick>{tick{"TCS", now, 386'000, 4, 385'995, 386'005}});
    h.run();

    auto chart = ok(h.ask<std::vector<candle>>([&](auto done) {
      h.broker->get_candles("TCS", yesterday, now + minute_ns, done);
    }));
    REQUIRE(chart.size() == 3); // yesterday's two (by start), then today's
    CHECK(chart[0].start == yesterday + minute_ns);
    CHECK(chart[0].close == 384'000);
    CHECK(chart[1].start == yesterday + 2 * minute_ns);
    CHECK(chart[2].start == minute_of(now));
    CHECK(chart[2].close == 386'000);
    CHECK(chart[2].volume == 4);
    for (auto& c : chart)
      CHECK(c.symbol == "TCS");

    // Only past days: the store alone.
    auto only_past = ok(h.ask<std::vector<candle>>([&](auto done) {
      h.broker->get_candles("TCS", yesterday - 10 * minute_ns, today, done);
    }));
    CHECK(only_past.size() == 3);
    // The store down: a past-day chart is refused, today's still works.
    h.db->broken = true;
    auto refused = h.ask<std::vector<candle>>([&](auto done) {
      h.broker->get_candles("TCS", yesterday, now + minute_ns, done);
    });
    REQUIRE(std::holds_alternative<rejection>(refused));
    CHECK(std::get<rejection>(refused).reason == reject_reason::storage_unavailable);
    auto live = ok(h.ask<std::vector<candle>>([&](auto done) {
      h.broker->get_candles("TCS", today, now + minute_ns, done);
    }));
    CHECK(live.size() == 1);
    h.db->broken = false;
    auto unknown = h.ask<std::vector<candle>>([&](auto done) {
      h.broker->get_candles("NOPE", yesterday, now, done);
    });
    REQUIRE(std::holds_alternative<rejection>(unknown));
    CHECK(std::get<rejection>(unknown).reason == reject_reason::unknown_symbol);
  }
  std::filesystem::remove_all(dir);
}
