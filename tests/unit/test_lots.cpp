// Edge cases of lot_book and the tax report that test_cost_basis.cpp (the
// seed 003 example, piecemeal rounding, the random conservation run, the year
// boundary and the CSV text) leaves out: names, entry removal, overflow of
// cost * take, leap years, dates before 1970, other offsets, line order, quoting.
#include <catch2/catch.hpp>

#include "protocol/lots.hpp"
#include "protocol/tax_report.hpp"

using namespace broker;

namespace {

constexpr int64_t ns_per_minute = 60'000'000'000;

// Local (IST) times.
constexpr timestamp feb_28_2023 = 1677558600000000000; // 2023-02-28 10:00
constexpr timestamp feb_28_2024 = 1709094600000000000; // 2024-02-28 10:00
constexpr timestamp feb_29_2024 = 1709181000000000000; // 2024-02-29 10:00
constexpr timestamp feb_28_2025 = 1740717000000000000; // 2025-02-28 10:00
constexpr timestamp jun_15_2025_open = 1749959100000000000;  // 2025-06-15 09:15
constexpr timestamp jun_15_2025_close = 1749981600000000000; // 2025-06-15 15:30
constexpr timestamp jul_1_2025 = 1751344200000000000;        // 2025-07-01 10:00
// New York (UTC-5) 2025-12-31 20:00, which is 2026-01-01 01:00 UTC.
constexpr timestamp nye_2025_new_york = 1767229200000000000;

tax_rules calendar_year(int offset_minutes = 330) {
  tax_rules r;
  r.year_start_month = 1;
  r.utc_offset_minutes = offset_minutes;
  return r;
}

realized_lot sale(std::string symbol, std::string sell_ref, timestamp bought, timestamp sold,
                  money cost, money proceeds) {
  realized_lot l;
  l.symbol = std::move(symbol);
  l.buy_ref = "B";
  l.sell_ref = std::move(sell_ref);
  l.acquired_at = bought;
  l.sold_at = sold;
  l.quantity = 1;
  l.cost = cost;
  l.proceeds = proceeds;
  return l;
}

} // namespace

TEST_CASE("cost basis method names are the wire names, parsed case-sensitively", "[lots]") {
  CHECK(to_string(cost_basis_method::fifo) == "FIFO");
  CHECK(to_string(cost_basis_method::lifo) == "LIFO");
  CHECK(parse_cost_basis_method("FIFO") == cost_basis_method::fifo);
  CHECK(parse_cost_basis_method("LIFO") == cost_basis_method::lifo);
  CHECK_FALSE(parse_cost_basis_method("fifo").has_value());
  CHECK_FALSE(parse_cost_basis_method("").has_value());
  CHECK_FALSE(parse_cost_basis_method("FIFO ").has_value());
  CHECK(lot_book{}.method() == cost_basis_method::fifo);
  CHECK(lot_book{cost_basis_method::lifo}.method() == cost_basis_method::lifo);
  CHECK(to_string(gain_term::short_term) == "SHORT_TERM");
  CHECK(to_string(gain_term::long_term) == "LONG_TERM");
}

TEST_CASE("symbols are sorted and a symbol sold out disappears", "[lots]") {
  lot_book book;
  book.buy("TCS", 2, 3000'00, 1, "B1");
  book.buy("INFY", 1, 1500'00, 2, "B2");
  book.buy("HDFC", 1, 1600'00, 3, "B3");
  CHECK(book.symbols() == std::vector<std::string>{"HDFC", "INFY", "TCS"});
  book.sell("INFY", 1, 1500'00, 4, "S1");
  CHECK(book.symbols() == std::vector<std::string>{"HDFC", "TCS"});
  CHECK(book.lots("INFY").empty());
  CHECK(book.quantity("INFY") == 0);
  CHECK(book.cost("INFY") == 0);
  CHECK(book.lots("NEVER").empty());
  // Bought again after selling out: a fresh lot, nothing left over from before.
  book.buy("INFY", 3, 1400'00, 5, "B4");
  REQUIRE(book.lots("INFY").size() == 1);
  CHECK(book.lots("INFY").front().ref == "B4");
  CHECK(book.lots("INFY").front().acquired_at == 5);
  CHECK(book.cost("INFY") == 3 * 1400'00);
  book.audit();
}

TEST_CASE("LIFO takes partial slices from the newest lot and keeps its remainder", "[lots]") {
  lot_book book{cost_basis_method::lifo};
  book.add_lot("X", open_lot{"old", 10, 5, 500});
  book.add_lot("X", open_lot{"new", 20, 3, 100});
  auto a = book.sell("X", 2, 40, 30, "S1");
  REQUIRE(a.size() == 1);
  CHECK(a[0].buy_ref == "new");
  CHECK(a[0].acquired_at == 20);
  CHECK(a[0].cost == 66); // 100 * 2 / 3 rounded down
  CHECK(a[0].proceeds == 80);
  CHECK(a[0].gain() == 14);
  // 1 share of "new" (cost 34) then 2 of "old" (500 * 2 / 5 = 200).
  auto b = book.sell("X", 3, 40, 40, "S2");
  REQUIRE(b.size() == 2);
  CHECK(b[0].buy_ref == "new");
  CHECK(b[0].quantity == 1);
  CHECK(b[0].cost == 34);
  CHECK(b[1].buy_ref == "old");
  CHECK(b[1].quantity == 2);
  CHECK(b[1].cost == 200);
  REQUIRE(book.lots("X").size() == 1);
  CHECK(book.lots("X").front().quantity == 3);
  CHECK(book.lots("X").front().cost == 300);
  CHECK(book.cost("X") == 300);
  book.audit();
}

TEST_CASE("a zero-cost lot realizes zero cost", "[lots]") {
  lot_book book;
  book.add_lot("BONUS", open_lot{"bonus issue", 0, 7, 0});
  auto r = book.sell("BONUS", 4, 10'00, 1, "S1");
  REQUIRE(r.size() == 1);
  CHECK(r[0].cost == 0);
  CHECK(r[0].gain() == 40'00);
  CHECK(book.quantity("BONUS") == 3);
  CHECK(book.cost("BONUS") == 0);
}

TEST_CASE("a slice's cost * take does not overflow int64", "[lots]") {
  lot_book book;
  // 9e15 paise over 10,000 shares: 9e15 * 3,333 is past int64's 9.2e18.
  book.add_lot("BIG", open_lot{"B1", 0, 10'000, 9'000'000'000'000'000});
  auto r = book.sell("BIG", 3'333, 0, 1, "S1");
  REQUIRE(r.size() == 1);
  CHECK(r[0].cost == 2'999'700'000'000'000);
  CHECK(book.cost("BIG") == 9'000'000'000'000'000 - 2'999'700'000'000'000);
  book.audit();
}

TEST_CASE("tax report: holding days count calendar days across a leap day", "[tax]") {
  std::vector<realized_lot> r{
    sale("A", "S1", feb_28_2023, feb_28_2024, 100, 150), // 365 days: short term
    sale("B", "S2", feb_28_2024, feb_28_2025, 100, 170), // 366 days (Feb 29 between): long
    sale("C", "S3", feb_29_2024, feb_28_2025, 100, 90),  // 365 days: short term
  };
  auto y2024 = build_tax_report(r, 2024, calendar_year());
  REQUIRE(y2024.lines.size() == 1);
  CHECK(y2024.lines[0].holding_days == 365);
  CHECK(y2024.lines[0].term == gain_term::short_term);
  auto y2025 = build_tax_report(r, 2025, calendar_year());
  REQUIRE(y2025.lines.size() == 2);
  CHECK(y2025.lines[0].lot.sell_ref == "S2");
  CHECK(y2025.lines[0].holding_days == 366);
  CHECK(y2025.lines[0].term == gain_term::long_term);
  CHECK(y2025.lines[1].holding_days == 365);
  CHECK(y2025.lines[1].term == gain_term::short_term);
  CHECK(y2025.long_term_gain == 70);
  CHECK(y2025.short_term_gain == -10);
  CHECK(y2025.proceeds == 260);
  CHECK(y2025.cost == 200);
}

TEST_CASE("tax report: year bounds for other start months, leap February included", "[tax]") {
  tax_rules march;
  march.year_start_month = 3;
  auto r = build_tax_report({}, 2023, march);
  CHECK(r.year == 2023);
  CHECK(r.from_date == "2023-03-01");
  CHECK(r.to_date == "2024-02-29");
  auto india = build_tax_report({}, 2023, tax_rules{});
  CHECK(india.from_date == "2023-04-01");
  CHECK(india.to_date == "2024-03-31");
  auto cal = build_tax_report({}, 1999, calendar_year());
  CHECK(cal.from_date == "1999-01-01");
  CHECK(cal.to_date == "1999-12-31");
  CHECK(cal.lines.empty());
  CHECK(cal.short_term_gain == 0);
  CHECK(to_csv(cal) == "symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain\r\n");
}

TEST_CASE("tax report: dates follow the configured offset, not UTC", "[tax]") {
  std::vector<realized_lot> r{sale("X", "S1", jul_1_2025, nye_2025_new_york, 100, 100)};
  // New York: still 2025-12-31.
  CHECK(build_tax_report(r, 2025, calendar_year(-300)).lines.size() == 1);
  CHECK(build_tax_report(r, 2026, calendar_year(-300)).lines.empty());
  // UTC and IST: already 2026-01-01.
  CHECK(build_tax_report(r, 2025, calendar_year(0)).lines.empty());
  auto ist = build_tax_report(r, 2026, calendar_year(330));
  REQUIRE(ist.lines.size() == 1);
  CHECK(ist.lines[0].holding_days == 184); // 2025-07-01 .. 2026-01-01
}

TEST_CASE("tax report: times before 1970 fall on the right day", "[tax]") {
  // One ns before the epoch is 1969-12-31 at UTC; one minute after it is 1970-01-01.
  std::vector<realized_lot> r{sale("OLD", "S1", -1, ns_per_minute, 5, 7)};
  auto rep = build_tax_report(r, 1970, calendar_year(0));
  REQUIRE(rep.lines.size() == 1);
  CHECK(rep.lines[0].holding_days == 1);
  CHECK(to_csv(rep)
        == "symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain\r\n"
           "OLD,1,1969-12-31,1970-01-01,1,SHORT_TERM,0.05,0.07,0.02\r\n");
  // At IST the sale at 00:01 UTC is 05:31 on the same day: still 1970.
  CHECK(build_tax_report(r, 1969, calendar_year(330)).lines.empty());
  // A sale at -1 is in 1969 at UTC.
  std::vector<realized_lot> early{sale("OLD", "S0", -2, -1, 5, 7)};
  CHECK(build_tax_report(early, 1969, calendar_year(0)).lines.size() == 1);
  CHECK(build_tax_report(early, 1970, calendar_year(0)).lines.empty());
}

TEST_CASE("tax report: lines by sell time, ties in input order, other years left out", "[tax]") {
  std::vector<realized_lot> r{
    sale("C", "late", jun_15_2025_open, jun_15_2025_close, 1, 2),
    sale("A", "first-tie", jun_15_2025_open, jun_15_2025_open, 1, 3),
    sale("Z", "other-year", jun_15_2025_open, feb_28_2025, 1000, 1),
    sale("B", "second-tie", jun_15_2025_open, jun_15_2025_open, 1, 4),
  };
  auto rep = build_tax_report(r, 2025, tax_rules{});
  REQUIRE(rep.lines.size() == 3);
  CHECK(rep.lines[0].lot.sell_ref == "first-tie");
  CHECK(rep.lines[1].lot.sell_ref == "second-tie");
  CHECK(rep.lines[2].lot.sell_ref == "late");
  CHECK(rep.lines[0].holding_days == 0);
  CHECK(rep.short_term_gain == 1 + 2 + 3);
  CHECK(rep.long_term_gain == 0);
  CHECK(rep.proceeds == 2 + 3 + 4);
  CHECK(rep.cost == 3);
}

TEST_CASE("tax report CSV quotes quotes and newlines, and nothing else", "[tax]") {
  std::vector<realized_lot> r{
    sale("SAY \"HI\"", "S1", jun_15_2025_open, jun_15_2025_open, 105, 100),
    sale("TWO\nLINES", "S2", jun_15_2025_open, jun_15_2025_close, 0, 1'234'567'89),
    sale("PLAIN & SIMPLE", "S3", jun_15_2025_open, jul_1_2025, 10'00, 10'00),
  };
  CHECK(to_csv(build_tax_report(r, 2025, tax_rules{}))
        == "symbol,quantity,buy_date,sell_date,holding_days,term,cost,proceeds,gain\r\n"
           "\"SAY \"\"HI\"\"\",1,2025-06-15,2025-06-15,0,SHORT_TERM,1.05,1.00,-0.05\r\n"
           "\"TWO\nLINES\",1,2025-06-15,2025-06-15,0,SHORT_TERM,0.00,1234567.89,1234567.89\r\n"
           "PLAIN & SIMPLE,1,2025-06-15,2025-07-01,16,SHORT_TERM,10.00,10.00,0.00\r\n");
}
