// Cost-basis lots and the capital-gains report, against hand-worked figures
// (seed 003's FIFO and LIFO example among them).
#include <catch2/catch.hpp>

#include <random>

#include "protocol/lots.hpp"
#include "protocol/tax_report.hpp"

using namespace broker;

namespace {

// Local (IST) times.
constexpr timestamp jan_1_2025 = 1735705800000000000;  // 2025-01-01 10:00
constexpr timestamp feb_1_2025 = 1738384200000000000;  // 2025-02-01 10:00
constexpr timestamp mar_1_2025 = 1740803400000000000;  // 2025-03-01 10:00
constexpr timestamp mar_1_2026 = 1772339400000000000;  // 2026-03-01 10:00: 365 days later
constexpr timestamp mar_2_2026 = 1772425800000000000;  // 2026-03-02 10:00: 366 days later
constexpr timestamp mar_31_2027_late = 1806514200000000000;  // 2027-03-31 23:00
constexpr timestamp apr_1_2027_early = 1806519600000000000;  // 2027-04-01 00:30 (03-31 19:00 UTC)

money total_gain(const std::vector<realized_lot>& r) {
  money g = 0;
  for (auto& l : r)
    g += l.gain();
  return g;
}

} // namespace

TEST_CASE("seed 003: 100 @150 and 50 @160, sell 120 @170: FIFO gains 2,200, LIFO 1,900", "[lots]") {
  for (auto method : {cost_basis_method::fifo, cost_basis_method::lifo}) {
    lot_book book{method};
    book.buy("AAPL", 100, 150'00, jan_1_2025, "B1");
    book.buy("AAPL", 50, 160'00, feb_1_2025, "B2");
    auto sold = book.sell("AAPL", 120, 170'00, mar_1_2025, "S1");
    money cost = 0, proceeds = 0;
    for (auto& l : sold) {
      cost += l.cost;
      proceeds += l.proceeds;
    }
    CHECK(proceeds == 20'400'00);
    if (method == cost_basis_method::fifo) {
      REQUIRE(sold.size() == 2);
      CHECK(sold[0].buy_ref == "B1");
      CHECK(sold[0].quantity == 100);
      CHECK(sold[0].cost == 15'000'00);
      CHECK(sold[1].buy_ref == "B2");
      CHECK(sold[1].quantity == 20);
      CHECK(sold[1].cost == 3'200'00);
      CHECK(cost == 18'200'00);
      CHECK(total_gain(sold) == 2'200'00);
      // Left: 30 of the 160.00 lot.
      REQUIRE(book.lots("AAPL").size() == 1);
      CHECK(book.lots("AAPL").front().ref == "B2");
      CHECK(book.cost("AAPL") == 30 * 160'00);
    } else {
      REQUIRE(sold.size() == 2);
      CHECK(sold[0].buy_ref == "B2");
      CHECK(sold[0].quantity == 50);
      CHECK(sold[0].cost == 8'000'00);
      CHECK(sold[1].buy_ref == "B1");
      CHECK(sold[1].quantity == 70);
      CHECK(sold[1].cost == 10'500'00);
      CHECK(cost == 18'500'00);
      CHECK(total_gain(sold) == 1'900'00);
      // Left: 30 of the 150.00 lot.
      REQUIRE(book.lots("AAPL").size() == 1);
      CHECK(book.lots("AAPL").front().ref == "B1");
      CHECK(book.cost("AAPL") == 30 * 150'00);
    }
    CHECK(book.quantity("AAPL") == 30);
    CHECK(sold[0].sold_at == mar_1_2025);
    CHECK(sold[0].sell_ref == "S1");
    book.audit();
  }
}

TEST_CASE("a lot sold piecemeal gives up its cost exactly", "[lots]") {
  lot_book book;
  book.add_lot("X", open_lot{"opening", 0, 3, 100}); // 3 shares that cost 1.00 in all
  CHECK(book.sell("X", 1, 50, 1, "S1")[0].cost == 33); // 100 * 1/3, rounded down
  CHECK(book.sell("X", 1, 50, 2, "S2")[0].cost == 33); // 67 * 1/2, rounded down
  CHECK(book.sell("X", 1, 50, 3, "S3")[0].cost == 34); // the rest
  CHECK(book.quantity("X") == 0);
  CHECK(book.symbols().empty());
}

TEST_CASE("seeded random buys and sells: lots conserve shares and cost", "[lots][property]") {
  for (auto method : {cost_basis_method::fifo, cost_basis_method::lifo}) {
    std::mt19937_64 rng{7};
    auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>{lo, hi}(rng); };
    lot_book book{method};
    money bought_cost = 0, realized_cost = 0;
    int64_t bought = 0, sold = 0;
    for (int i = 0; i < 5000; ++i) {
      std::string symbol = pick(0, 1) ? "A" : "B";
      if (pick(0, 2) > 0 || book.quantity(symbol) == 0) {
        int64_t q = pick(1, 50);
        money px = pick(1, 100'000);
        book.buy(symbol, q, px, i, "B" + std::to_string(i));
        bought_cost += q * px;
        bought += q;
      } else {
        int64_t q = pick(1, book.quantity(symbol));
        int64_t got = 0;
        for (auto& l : book.sell(symbol, q, pick(1, 100'000), i, "S" + std::to_string(i))) {
          realized_cost += l.cost;
          got += l.quantity;
          REQUIRE(l.cost >= 0);
        }
        REQUIRE(got == q);
        sold += q;
      }
      REQUIRE(book.cost("A") + book.cost("B") + realized_cost == bought_cost);
      REQUIRE(book.quantity("A") + book.quantity("B") + sold == bought);
    }
    book.audit();
  }
}

TEST_CASE("tax report: long term only after more than the threshold", "[tax]") {
  lot_book book;
  book.buy("TCS", 10, 3000'00, mar_1_2025, "B1");
  book.buy("TCS", 10, 3100'00, mar_1_2025, "B2");
  auto r = book.sell("TCS", 10, 3500'00, mar_1_2026, "S1"); // 365 days: short term
  auto more = book.sell("TCS", 10, 3200'00, mar_2_2026, "S2"); // 366 days: long term
  r.insert(r.end(), more.begin(), more.end());
  tax_rules rules; // 365 days, April, IST
  auto report = build_tax_report(r, 2025, rules); // 2025-04-01 .. 2026-03-31
  CHECK(report.from_date == "2025-04-01");
  CHECK(report.to_date == "2026-03-31");
  REQUIRE(report.lines.size() == 2);
  CHECK(report.lines[0].holding_days == 365);
  CHECK(report.lines[0].term == gain_term::short_term);
  CHECK(report.lines[1].holding_days == 366);
  CHECK(report.lines[1].term == gain_term::long_term);
  CHECK(report.short_term_gain == 10 * 500'00);
  CHECK(report.long_term_gain == 10 * 100'00);
  CHECK(report.proceeds == 10 * 3500'00 + 10 * 3200'00);
  CHECK(report.cost == 10 * 3000'00 + 10 * 3100'00);
  rules.long_term_after_days = 364;
  CHECK(build_tax_report(r, 2025, rules).long_term_gain == 10 * 500'00 + 10 * 100'00);
  CHECK(build_tax_report(r, 2024, tax_rules{}).lines.empty());
}

TEST_CASE("tax report: the year turns at local midnight of its first day", "[tax]") {
  lot_book book;
  book.buy("INFY", 2, 1500'00, jan_1_2025, "B1");
  auto r = book.sell("INFY", 1, 1600'00, mar_31_2027_late, "S1");
  auto r2 = book.sell("INFY", 1, 1400'00, apr_1_2027_early, "S2"); // UTC still says March 31
  r.insert(r.end(), r2.begin(), r2.end());
  auto fy2026 = build_tax_report(r, 2026, tax_rules{});
  auto fy2027 = build_tax_report(r, 2027, tax_rules{});
  REQUIRE(fy2026.lines.size() == 1);
  CHECK(fy2026.lines[0].lot.sell_ref == "S1");
  CHECK(fy2026.long_term_gain == 100'00);
  REQUIRE(fy2027.lines.size() == 1);
  CHECK(fy2027.lines[0].lot.sell_ref == "S2");
  CHECK(fy2027.lines[0].sell_date == "2027-04-01");
  CHECK(fy2027.long_term_gain == -100'00); // a loss stays negative
  // With the calendar year as tax year, both fall in 2027.
  tax_rules calendar_year;
  calendar_year.year_start_month = 1;
  CHECK(build_tax_report(r, 2027, calendar_year).lines.size() == 2);
  CHECK(build_tax_report(r, 2027, calendar_year).from_date == "2027-01-01");
}

TEST_CASE("tax report as CSV", "[tax]") {
  lot_book book;
  book.buy("M&M, LTD", 4, 100'50, jan_1_2025, "B1");
  book.buy("TCS", 1, 3000'00, jan_1_2025, "B2");
  auto r = book.sell("M&M, LTD", 4, 90'25, feb_1_2025, "S1");
  auto r2 = book.sell("TCS", 1, 3000'05, mar_1_2025, "S2");
  r.insert(r.end(), r2.begin(), r2.end());
  tax_rules calendar_year;
  calendar_year.year_start_month = 1;
  CHECK(to_csv(build_tax_report(r, 2025, calendar_year))
        == "symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain\r\n"
           "\"M&M, LTD\",4,2025-01-01,2025-02-01,31,SHORT_TERM,402.00,361.00,-41.00\r\n"
           "TCS,1,2025-01-01,2025-03-01,59,SHORT_TERM,3000.00,3000.05,0.05\r\n");
}
