// FIX 4.4 mapping: what each side sends reads back as what was meant, through
// the wire form (QuickFIX serializes and parses it), with money exact.
#include <catch2/catch.hpp>

#include "protocol/fix_mapping.hpp"
#include "protocol/quickfix.hpp"

namespace fix = broker::fix;
using broker::exec_kind;
using broker::order_status;

namespace {

// Through the wire: a header as a session would fill it, serialized, parsed.
FIX::Message wire(FIX::Message m) {
  m.getHeader().setField(8, "FIX.4.4");
  m.getHeader().setField(49, "BROKER");
  m.getHeader().setField(56, "SIMEX");
  m.getHeader().setField(34, "7");
  return FIX::Message{m.toString(), false};
}

broker::order sample_order() {
  broker::order o;
  o.id = 1234;
  o.user = 42;
  o.symbol = "RELIANCE";
  o.side = broker::side::sell;
  o.type = broker::order_type::stop_limit;
  o.validity = broker::validity::ioc;
  o.quantity = 15;
  o.price = 245005;         // 2450.05
  o.trigger_price = 245100; // 2451.00
  return o;
}

fix::order_report as_report(const std::variant<fix::order_report, std::string>& v) {
  INFO((std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : ""));
  REQUIRE(std::holds_alternative<fix::order_report>(v));
  return std::get<fix::order_report>(v);
}

} // namespace

TEST_CASE("fix: a NewOrderSingle reads back as the order, prices exact", "[fix]") {
  auto o = sample_order();
  auto m = wire(fix::new_order_single(o, 1'780'000'000'000'000'000));
  CHECK(m.getField(44) == "2450.05");
  CHECK(m.getField(99) == "2451.00");
  CHECK(m.getField(40) == "4");
  CHECK(m.getField(59) == "3");
  auto back = fix::read_new_order_single(m);
  REQUIRE(std::holds_alternative<broker::order>(back));
  auto& b = std::get<broker::order>(back);
  CHECK(b.id == o.id);
  CHECK(b.user == o.user);
  CHECK(b.symbol == o.symbol);
  CHECK(b.side == o.side);
  CHECK(b.type == o.type);
  CHECK(b.validity == o.validity);
  CHECK(b.quantity == o.quantity);
  CHECK(b.price == o.price);
  CHECK(b.trigger_price == o.trigger_price);

  SECTION("a market order carries no price") {
    o.type = broker::order_type::market;
    o.validity = broker::validity::day;
    auto mm = wire(fix::new_order_single(o, 0));
    CHECK_FALSE(mm.isSetField(44));
    CHECK_FALSE(mm.isSetField(99));
    auto mb = fix::read_new_order_single(mm);
    REQUIRE(std::holds_alternative<broker::order>(mb));
    CHECK(std::get<broker::order>(mb).type == broker::order_type::market);
  }
}

TEST_CASE("fix: a malformed NewOrderSingle is refused naming the tag", "[fix]") {
  auto m = fix::new_order_single(sample_order(), 0);
  SECTION("price with three decimals") {
    m.setField(44, "2450.055");
    auto r = fix::read_new_order_single(wire(m));
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("Price (44)") != std::string::npos);
  }
  SECTION("no account") {
    m.removeField(1);
    auto r = fix::read_new_order_single(wire(m));
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("Account (1) missing") != std::string::npos);
  }
  SECTION("a ClOrdID that is not the broker's") {
    m.setField(11, "abc");
    auto r = fix::read_new_order_single(wire(m));
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("ClOrdID (11)") != std::string::npos);
  }
  SECTION("zero quantity") {
    m.setField(38, "0");
    auto r = fix::read_new_order_single(wire(m));
    REQUIRE(std::holds_alternative<std::string>(r));
    CHECK(std::get<std::string>(r).find("OrderQty") != std::string::npos);
  }
}

TEST_CASE("fix: execution reports read back as the event the exchange sent", "[fix]") {
  broker::execution_report r;
  r.exec_id = "E1-7";
  r.client_order_id = 1234;
  r.account = 42;
  r.exchange_order_id = "E1-X9";
  r.kind = exec_kind::trade;
  r.last_quantity = 5;
  r.last_price = 245005;
  r.cum_quantity = 10;
  r.leaves_quantity = 5;
  r.time = 1'780'000'000'123'000'000;
  fix::order_facts f{"RELIANCE", broker::side::buy, 15, 10 * 245005, order_status::partially_filled, {}};
  auto m = wire(fix::report_message(r, f));
  CHECK(m.getField(150) == "F");
  CHECK(m.getField(39) == "1");
  CHECK(m.getField(31) == "2450.05");
  CHECK(m.getField(6) == "2450.0500");
  auto got = as_report(fix::read_order_report(m));
  CHECK_FALSE(got.status_answer);
  CHECK(got.report.exec_id == r.exec_id);
  CHECK(got.report.client_order_id == r.client_order_id);
  CHECK(got.report.account == r.account);
  CHECK(got.report.exchange_order_id == r.exchange_order_id);
  CHECK(got.report.kind == exec_kind::trade);
  CHECK(got.report.last_quantity == 5);
  CHECK(got.report.last_price == 245005);
  CHECK(got.report.cum_quantity == 10);
  CHECK(got.report.leaves_quantity == 5);

  SECTION("a cancel's report names the order through OrigClOrdID") {
    r.kind = exec_kind::cancelled;
    f.cancel_id = "1234-C1";
    f.status = order_status::cancelled;
    auto c = wire(fix::report_message(r, f));
    CHECK(c.getField(11) == "1234-C1");
    auto cr = as_report(fix::read_order_report(c));
    CHECK(cr.report.kind == exec_kind::cancelled);
    CHECK(cr.report.client_order_id == 1234);
  }
  SECTION("a cancel reject") {
    r.kind = exec_kind::cancel_rejected;
    f.cancel_id = "1234-C2";
    auto c = wire(fix::report_message(r, f));
    CHECK(c.getHeader().getField(35) == "9");
    auto cr = as_report(fix::read_order_report(c));
    CHECK(cr.report.kind == exec_kind::cancel_rejected);
    CHECK(cr.report.client_order_id == 1234);
    CHECK(cr.report.exec_id == "CXLREJ-1234-C2"); // a replay of it dedupes
  }
  SECTION("a status answer") {
    r.kind = exec_kind::accepted;
    auto s = wire(fix::report_message(r, f, true));
    CHECK(s.getField(150) == "I");
    auto sr = as_report(fix::read_order_report(s));
    CHECK(sr.status_answer);
    CHECK(sr.status == order_status::partially_filled);
    CHECK(sr.report.cum_quantity == 10);
  }
  SECTION("an order the exchange does not know") {
    fix::status_request q{777, "TCS", 42, broker::side::buy};
    auto sr = as_report(fix::read_order_report(wire(fix::unknown_order_message(q, "S-1"))));
    CHECK(sr.status_answer);
    CHECK(sr.unknown_order);
    CHECK(sr.report.client_order_id == 777);
    CHECK(sr.report.kind == exec_kind::rejected);
  }
  SECTION("malformed: a trade without its price") {
    auto bad = fix::report_message(r, f);
    bad.removeField(31);
    auto out = fix::read_order_report(wire(bad));
    REQUIRE(std::holds_alternative<std::string>(out));
    CHECK(std::get<std::string>(out).find("LastPx (31) missing") != std::string::npos);
  }
}

TEST_CASE("fix: cancel and status requests read back", "[fix]") {
  auto o = sample_order();
  auto c = fix::read_cancel_request(wire(fix::order_cancel_request(o, 3, 0)));
  REQUIRE(std::holds_alternative<fix::cancel_request>(c));
  CHECK(std::get<fix::cancel_request>(c).id == 1234);
  CHECK(std::get<fix::cancel_request>(c).cancel_id == "1234-C3");
  CHECK(std::get<fix::cancel_request>(c).side == broker::side::sell);
  auto s = fix::read_status_request(wire(fix::order_status_request(1234, "RELIANCE", 42, broker::side::buy)));
  REQUIRE(std::holds_alternative<fix::status_request>(s));
  CHECK(std::get<fix::status_request>(s).id == 1234);
  CHECK(std::get<fix::status_request>(s).account == 42);
}

TEST_CASE("fix: UTCTimestamp with milliseconds", "[fix]") {
  CHECK(fix::utc_timestamp(0) == "19700101-00:00:00.000");
  CHECK(fix::utc_timestamp(1'780'000'000'123'000'000) == "20260528-20:26:40.123");
}
