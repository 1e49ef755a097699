// Market data over FIX: what the exchange sends reads back, through the wire
// and QuickFIX's parser with the market data dictionary, as the ticks it was
// made from, with the top of book carried across messages.
#include <catch2/catch.hpp>

#include "protocol/fix_market_data.hpp"
#include "protocol/quickfix.hpp"

namespace fix = broker::fix;
using broker::tick;

namespace {

constexpr broker::timestamp t0 = 1'780'000'000'123'000'000; // ms precision, as on the wire

FIX::Message wire(FIX::Message m) {
  m.getHeader().setField(8, "FIX.4.4");
  m.getHeader().setField(49, "SIMEX-MD");
  m.getHeader().setField(56, "BROKER");
  m.getHeader().setField(34, "3");
  static auto dd = fix::market_data_dictionary();
  return FIX::Message{m.toString(), *dd, false};
}

fix::market_data read(const FIX::Message& m, fix::book_tops& book) {
  auto r = fix::read_market_data(wire(m), book, 1);
  INFO((std::holds_alternative<std::string>(r) ? std::get<std::string>(r) : ""));
  REQUIRE(std::holds_alternative<fix::market_data>(r));
  return std::get<fix::market_data>(r);
}

bool same(const tick& a, const tick& b) {
  return a.symbol == b.symbol && a.exchange_time == b.exchange_time && a.last_price == b.last_price
         && a.last_quantity == b.last_quantity && a.bid == b.bid && a.ask == b.ask;
}

} // namespace

TEST_CASE("fix md: an incremental refresh reads back as its ticks, in order, prices exact", "[fix]") {
  std::vector<tick> ticks{
    {"RELIANCE", t0, 245005, 15, 245000, 245010},   // a trade
    {"TCS", t0 + 1'000'000, 0, 0, 389995, 390005},  // a requote
    {"RELIANCE", t0 + 2'000'000, 0, 0, 0, 245020},  // the bid side emptied
    {"RELIANCE", t0 + 3'000'000, 245020, 3, 0, 245025},
  };
  fix::book_tops book;
  auto md = read(fix::incremental_message("md-1", ticks), book);
  CHECK(md.request_id == "md-1");
  // The third is a quote-only change followed by a trade of the same symbol:
  // it reads as part of that trade's tick.
  REQUIRE(md.ticks.size() == 3);
  CHECK(same(md.ticks[0], ticks[0]));
  CHECK(same(md.ticks[1], ticks[1]));
  CHECK(same(md.ticks[2], ticks[3]));
  CHECK(book["RELIANCE"].bid == 0);
  CHECK(book["RELIANCE"].ask == 245025);
}

TEST_CASE("fix md: a snapshot sets the top of book and is no trade", "[fix]") {
  fix::book_tops book;
  book["INFY"] = {150000, 150100}; // stale: the snapshot replaces it
  auto md = read(fix::snapshot_message("md-2", tick{"INFY", t0, 150050, 10, 0, 150060}, t0), book);
  REQUIRE(md.ticks.size() == 1);
  CHECK(same(md.ticks[0], tick{"INFY", t0, 0, 0, 0, 150060}));
  CHECK(book["INFY"].bid == 0);
  CHECK(book["INFY"].ask == 150060);
  // A later refresh of the offer only keeps the bid the book has.
  auto next = read(fix::incremental_message("md-2", {tick{"INFY", t0 + 5'000'000, 0, 0, 150010, 150070}}), book);
  REQUIRE(next.ticks.size() == 1);
  CHECK(same(next.ticks[0], tick{"INFY", t0 + 5'000'000, 0, 0, 150010, 150070}));
}

TEST_CASE("fix md: a snapshot of a symbol with no book yet holds no entries", "[fix]") {
  fix::book_tops book;
  auto md = read(fix::snapshot_message("md-3", tick{"WIPRO", 0, 0, 0, 0, 0}, t0), book);
  REQUIRE(md.ticks.size() == 1);
  CHECK(md.ticks[0].bid == 0);
  CHECK(md.ticks[0].ask == 0);
}

TEST_CASE("fix md: a request names its symbols; the exchange reads them back", "[fix]") {
  auto m = wire(fix::market_data_request("md-9", {"INFY", "RELIANCE", "TCS"}));
  auto r = fix::read_market_data_request(m);
  REQUIRE(std::holds_alternative<fix::subscription>(r));
  auto& s = std::get<fix::subscription>(r);
  CHECK(s.request_id == "md-9");
  CHECK(s.request_type == '1');
  CHECK(s.symbols == std::vector<std::string>{"INFY", "RELIANCE", "TCS"});
  CHECK(m.groupCount(267) == 3);
}

TEST_CASE("fix md: malformed market data is refused naming the tag", "[fix]") {
  fix::book_tops book;
  auto m = fix::incremental_message("md-1", {tick{"TCS", t0, 389990, 5, 389985, 389995}});
  FIX::Group bad(268, 279);
  bad.setField(279, "1");
  bad.setField(269, "0");
  bad.setField(55, "TCS");
  bad.setField(270, "12.345"); // a tenth of a paisa
  m.addGroup(bad);
  auto r = fix::read_market_data(wire(m), book, 1);
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("MDEntryPx (270)") != std::string::npos);

  // Found by fuzz_fix_mapping: a year the clock cannot hold overflowed.
  auto ancient = fix::incremental_message("md-1", {tick{"TCS", t0, 389990, 5, 389985, 389995}});
  FIX::Group old_entry(268, 279);
  old_entry.setField(279, "1");
  old_entry.setField(269, "0");
  old_entry.setField(55, "TCS");
  old_entry.setField(270, "3899.95");
  old_entry.setField(272, "10130601");
  old_entry.setField(273, "09:15:00.000");
  ancient.addGroup(old_entry);
  r = fix::read_market_data(wire(ancient), book, 1);
  REQUIRE(std::holds_alternative<std::string>(r));
  CHECK(std::get<std::string>(r).find("MDEntryDate/MDEntryTime (272/273)") != std::string::npos);

  FIX::Message no_id;
  no_id.getHeader().setField(35, "V");
  no_id.setField(263, "1");
  auto q = fix::read_market_data_request(wire(no_id));
  REQUIRE(std::holds_alternative<std::string>(q));
  CHECK(std::get<std::string>(q).find("MDReqID (262)") != std::string::npos);
}

TEST_CASE("fix md: entries a venue adds beyond what we read do not break the groups", "[fix]") {
  // MDEntryPositionNo (290) and NumberOfOrders (346) inside each entry.
  FIX::Message m;
  m.getHeader().setField(35, "X");
  m.setField(262, "md-1");
  for (auto [type, px] : {std::pair{"0", "100.05"}, std::pair{"1", "100.10"}}) {
    FIX::Group g(268, 279);
    g.setField(279, "1");
    g.setField(269, type);
    g.setField(55, "SBIN");
    g.setField(270, px);
    g.setField(290, "1");
    g.setField(346, "4");
    m.addGroup(g);
  }
  fix::book_tops book;
  auto md = read(m, book);
  REQUIRE(md.ticks.size() == 1);
  CHECK(md.ticks[0].bid == 10005);
  CHECK(md.ticks[0].ask == 10010);
  CHECK(md.ticks[0].exchange_time == 1); // no entry time: `now`
}
