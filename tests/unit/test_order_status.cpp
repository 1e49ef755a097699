#include <catch2/catch.hpp>

#include "protocol/types.hpp"

using namespace broker;
using s = order_status;

TEST_CASE("final order states accept no transition", "[order-state]") {
  for (auto from : {s::filled, s::cancelled, s::rejected, s::expired})
    for (int to = 0; to <= static_cast<int>(s::expired); ++to)
      CHECK_FALSE(is_legal_transition(from, static_cast<s>(to)));
}

TEST_CASE("the FIX lifecycle's legal and illegal steps", "[order-state]") {
  CHECK(is_legal_transition(s::pending, s::open));
  CHECK(is_legal_transition(s::pending, s::rejected));
  CHECK(is_legal_transition(s::open, s::partially_filled));
  CHECK(is_legal_transition(s::partially_filled, s::filled));
  CHECK(is_legal_transition(s::open, s::pending_cancel));
  CHECK(is_legal_transition(s::pending_cancel, s::cancelled));
  CHECK(is_legal_transition(s::pending_cancel, s::filled)); // the fill beat the cancel
  CHECK(is_legal_transition(s::pending_cancel, s::open));   // the cancel was refused
  CHECK(is_legal_transition(s::pending_cancel, s::rejected)); // cancelled before the exchange saw it
  CHECK_FALSE(is_legal_transition(s::open, s::pending));
  CHECK_FALSE(is_legal_transition(s::open, s::rejected)); // the exchange rejects before OPEN
  CHECK_FALSE(is_legal_transition(s::partially_filled, s::open));
  CHECK_FALSE(is_legal_transition(s::partially_filled, s::pending));
}

TEST_CASE("wire names round-trip", "[order-state]") {
  for (int i = 0; i <= static_cast<int>(s::expired); ++i)
    CHECK(parse_order_status(to_string(static_cast<s>(i))) == static_cast<s>(i));
  CHECK(parse_order_type("SL-M") == order_type::stop_market);
  CHECK(parse_order_type("sl-m") == std::nullopt);
  CHECK(to_string(order_type::stop_limit) == "SL");
}

TEST_CASE("the price band is rounded inward to the tick", "[instrument]") {
  instrument i;
  i.tick_size = 5;
  i.reference_price = 245000;
  i.band_percent = 20;
  CHECK(i.lower_band() == 196000);
  CHECK(i.upper_band() == 294000);
  i.reference_price = 12345; // 123.45: band 98.76 .. 148.14
  CHECK(i.lower_band() == 9880);
  CHECK(i.upper_band() == 14810);
}
