// Unit tests for the simulated exchange's order book (sim/order_book.hpp).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "sim/order_book.hpp"

using broker::money;
using broker::side;
using broker::validity;
using broker::sim::book_event;
using broker::sim::book_event_kind;
using broker::sim::book_order;
using broker::sim::book_order_type;
using broker::sim::order_book;
using events = std::vector<book_event>;

namespace {

// Tick 5 paise, band [900, 1100]: prices around 1000 are valid.
order_book make_book() { return order_book("INFY", 5, 900, 1100); }

book_order limit(std::string id, side s, int64_t qty, money price, validity tif = validity::day,
                 std::string who = "lp") {
  book_order o;
  o.id = std::move(id);
  o.participant = std::move(who);
  o.side = s;
  o.type = book_order_type::limit;
  o.tif = tif;
  o.quantity = qty;
  o.price = price;
  return o;
}

book_order market(std::string id, side s, int64_t qty, std::string who = "broker") {
  book_order o;
  o.id = std::move(id);
  o.participant = std::move(who);
  o.side = s;
  o.type = book_order_type::market;
  o.quantity = qty;
  return o;
}

book_order stop_market(std::string id, side s, int64_t qty, money trigger) {
  book_order o = market(std::move(id), s, qty);
  o.type = book_order_type::stop_market;
  o.trigger_price = trigger;
  return o;
}

book_order stop_limit(std::string id, side s, int64_t qty, money trigger, money price,
                      validity tif = validity::day) {
  book_order o = limit(std::move(id), s, qty, price, tif, "broker");
  o.type = book_order_type::stop_limit;
  o.trigger_price = trigger;
  return o;
}

std::vector<book_event_kind> kinds(const events& ev) {
  std::vector<book_event_kind> out;
  for (const auto& e : ev)
    out.push_back(e.kind);
  return out;
}

// Trade events about one order, in emission order.
events trades_of(const events& ev, const std::string& id) {
  events out;
  for (const auto& e : ev)
    if (e.kind == book_event_kind::trade && e.order_id == id)
      out.push_back(e);
  return out;
}

// Ids of the orders that got a `triggered` event, in order.
std::vector<std::string> triggered_ids(const events& ev) {
  std::vector<std::string> out;
  for (const auto& e : ev)
    if (e.kind == book_event_kind::triggered)
      out.push_back(e.order_id);
  return out;
}

bool all_of_kind(const events& ev, book_event_kind k) {
  return std::all_of(ev.begin(), ev.end(), [&](const book_event& e) { return e.kind == k; });
}

constexpr auto accepted = book_event_kind::accepted;
constexpr auto trade = book_event_kind::trade;
constexpr auto cancelled = book_event_kind::cancelled;
constexpr auto rejected = book_event_kind::rejected;
constexpr auto expired = book_event_kind::expired;
constexpr auto triggered = book_event_kind::triggered;

} // namespace

TEST_CASE("resting limit order is accepted and shows in the book", "[order_book]") {
  auto book = make_book();
  auto ev = book.submit(limit("b1", side::buy, 10, 995));
  REQUIRE(kinds(ev) == std::vector{accepted});
  CHECK(ev[0].order_id == "b1");
  CHECK(ev[0].leaves_quantity == 10);
  CHECK(book.best_bid() == 995);
  CHECK_FALSE(book.best_ask());
  CHECK_FALSE(book.last_price());
  CHECK(book.working_orders() == 1);
  auto state = book.find("b1");
  REQUIRE(state);
  CHECK(state->working);
  CHECK(state->leaves_quantity == 10);
  book.check_invariants();
}

TEST_CASE("price-time priority: better price first, then arrival order", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 10, 1000));
  book.submit(limit("s2", side::sell, 10, 1000));
  book.submit(limit("s3", side::sell, 10, 995)); // better price, arrives last

  auto ev = book.submit(limit("b1", side::buy, 25, 1000, validity::day, "broker"));
  REQUIRE(kinds(ev) == std::vector{accepted, trade, trade, trade, trade, trade, trade});

  // Taker then maker for each trade; makers in price-then-time order.
  std::vector<std::string> makers;
  for (size_t i = 1; i < ev.size(); i += 2) {
    CHECK(ev[i].order_id == "b1");
    CHECK(ev[i].aggressor);
    CHECK_FALSE(ev[i + 1].aggressor);
    CHECK(ev[i].counterparty_order_id == ev[i + 1].order_id);
    CHECK(ev[i + 1].counterparty_order_id == "b1");
    makers.push_back(ev[i + 1].order_id);
  }
  CHECK(makers == std::vector<std::string>{"s3", "s1", "s2"});

  // Trades at the maker's price, not the taker's limit.
  CHECK(ev[1].last_price == 995);
  CHECK(ev[3].last_price == 1000);
  CHECK(ev[5].last_quantity == 5);
  CHECK(ev[6].leaves_quantity == 5); // s2 partly filled
  CHECK(book.find("s2")->leaves_quantity == 5);
  CHECK_FALSE(book.find("s1")->working);
  CHECK(book.asks(5).size() == 1);
  CHECK(book.asks(5)[0].price == 1000);
  CHECK(book.asks(5)[0].quantity == 5);
  CHECK(book.asks(5)[0].orders == 1);
  CHECK(book.volume() == 25);
  CHECK(book.last_price() == 1000);
  book.check_invariants();
}

TEST_CASE("partial fills carry cumulative and leaves quantities", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 100, 1000));

  auto ev = book.submit(market("m1", side::buy, 30));
  auto maker = trades_of(ev, "s1");
  REQUIRE(maker.size() == 1);
  CHECK(maker[0].cum_quantity == 30);
  CHECK(maker[0].leaves_quantity == 70);
  auto taker = trades_of(ev, "m1");
  REQUIRE(taker.size() == 1);
  CHECK(taker[0].cum_quantity == 30);
  CHECK(taker[0].leaves_quantity == 0);

  ev = book.submit(market("m2", side::buy, 50));
  maker = trades_of(ev, "s1");
  REQUIRE(maker.size() == 1);
  CHECK(maker[0].cum_quantity == 80);
  CHECK(maker[0].leaves_quantity == 20);

  // A bigger DAY limit takes the last 20 and rests its own remainder.
  ev = book.submit(limit("b3", side::buy, 40, 1000, validity::day, "broker"));
  REQUIRE(kinds(ev) == std::vector{accepted, trade, trade});
  CHECK(ev[1].cum_quantity == 20);
  CHECK(ev[1].leaves_quantity == 20);
  CHECK(ev[2].cum_quantity == 100);
  CHECK(ev[2].leaves_quantity == 0);

  auto s1 = book.find("s1");
  REQUIRE(s1);
  CHECK_FALSE(s1->working);
  CHECK(s1->cum_quantity == 100);
  auto b3 = book.find("b3");
  REQUIRE(b3);
  CHECK(b3->working);
  CHECK(b3->cum_quantity + b3->leaves_quantity == 40);
  CHECK(book.best_bid() == 1000);
  CHECK_FALSE(book.best_ask());
  book.check_invariants();
}

TEST_CASE("market order against an empty book is cancelled", "[order_book]") {
  auto book = make_book();
  auto ev = book.submit(market("m1", side::buy, 10));
  REQUIRE(kinds(ev) == std::vector{accepted, cancelled});
  CHECK(ev[1].order_id == "m1");
  CHECK(ev[1].cum_quantity == 0);
  CHECK(ev[1].leaves_quantity == 0);
  CHECK(ev[1].text.find("liquidity") != std::string::npos);
  CHECK(book.working_orders() == 0);
  CHECK_FALSE(book.best_bid()); // never rests
  CHECK(book.volume() == 0);
}

TEST_CASE("market order sweeps several levels at each maker's price", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 10, 1000));
  book.submit(limit("s2", side::sell, 10, 1005));
  book.submit(limit("s3", side::sell, 10, 1010));

  auto ev = book.submit(market("m1", side::buy, 25));
  auto fills = trades_of(ev, "m1");
  REQUIRE(fills.size() == 3);
  CHECK(fills[0].last_price == 1000);
  CHECK(fills[1].last_price == 1005);
  CHECK(fills[2].last_price == 1010);
  CHECK(fills[2].last_quantity == 5);
  CHECK(fills[2].cum_quantity == 25);
  CHECK(book.last_price() == 1010);
  CHECK(book.best_ask() == 1010);
  CHECK(book.asks(10)[0].quantity == 5);

  SECTION("what the book cannot fill is cancelled") {
    ev = book.submit(market("m2", side::buy, 100));
    REQUIRE(kinds(ev) == std::vector{accepted, trade, trade, cancelled});
    CHECK(ev[3].cum_quantity == 5);
    CHECK(ev[3].leaves_quantity == 0);
    CHECK_FALSE(book.best_ask());
    CHECK(book.volume() == 30);
  }
}

TEST_CASE("IOC limit cancels its remainder, DAY limit rests it", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 10, 1000));
  book.submit(limit("s2", side::sell, 10, 1010));

  SECTION("IOC") {
    auto ev = book.submit(limit("b1", side::buy, 30, 1005, validity::ioc, "broker"));
    REQUIRE(kinds(ev) == std::vector{accepted, trade, trade, cancelled});
    CHECK(ev[1].last_price == 1000);
    CHECK(ev[3].cum_quantity == 10);
    CHECK(ev[3].text.find("IOC") != std::string::npos);
    CHECK_FALSE(book.best_bid());
    CHECK(book.best_ask() == 1010); // 1010 does not cross a 1005 limit
    CHECK_FALSE(book.find("b1")->working);
  }
  SECTION("DAY") {
    auto ev = book.submit(limit("b1", side::buy, 30, 1005, validity::day, "broker"));
    REQUIRE(kinds(ev) == std::vector{accepted, trade, trade});
    auto bids = book.bids(5);
    REQUIRE(bids.size() == 1);
    CHECK(bids[0].price == 1005);
    CHECK(bids[0].quantity == 20);
    CHECK(bids[0].orders == 1);
    CHECK(book.find("b1")->working);
    CHECK(book.working_orders() == 2);
  }
  SECTION("IOC that crosses nothing is cancelled whole") {
    auto ev = book.submit(limit("b1", side::buy, 5, 995, validity::ioc, "broker"));
    REQUIRE(kinds(ev) == std::vector{accepted, cancelled});
    CHECK(ev[1].cum_quantity == 0);
    CHECK_FALSE(book.best_bid());
  }
  book.check_invariants();
}

TEST_CASE("cancel a resting order, a final order and an unknown id", "[order_book]") {
  auto book = make_book();
  book.submit(limit("b1", side::buy, 10, 995));
  book.submit(limit("b2", side::buy, 10, 995));
  book.submit(market("m1", side::sell, 4)); // b1 partly filled

  auto ev = book.cancel("b1");
  REQUIRE(kinds(ev) == std::vector{cancelled});
  CHECK(ev[0].cum_quantity == 4);
  CHECK(ev[0].leaves_quantity == 0);
  CHECK(ev[0].participant == "lp");
  CHECK(book.bids(5)[0].quantity == 10); // only b2 left at 995
  CHECK(book.bids(5)[0].orders == 1);
  CHECK_FALSE(book.find("b1")->working);

  ev = book.cancel("b1");
  REQUIRE(kinds(ev) == std::vector{rejected});
  CHECK(ev[0].text == "unknown or final order");

  ev = book.cancel("nope");
  REQUIRE(kinds(ev) == std::vector{rejected});
  CHECK(ev[0].order_id == "nope");
  CHECK(ev[0].text == "unknown or final order");

  // Cancelling the last order at a level removes the level.
  ev = book.cancel("b2");
  REQUIRE(kinds(ev) == std::vector{cancelled});
  CHECK_FALSE(book.best_bid());
  CHECK(book.working_orders() == 0);
  book.check_invariants();
}

TEST_CASE("cancel a stop waiting for its trigger", "[order_book]") {
  auto book = make_book();
  auto ev = book.submit(stop_market("st", side::buy, 5, 1050));
  REQUIRE(kinds(ev) == std::vector{accepted});
  CHECK(book.working_orders() == 1);
  CHECK(book.find("st")->working);
  CHECK_FALSE(book.find("st")->triggered);

  ev = book.cancel("st");
  REQUIRE(kinds(ev) == std::vector{cancelled});
  CHECK(book.working_orders() == 0);

  // A cancelled stop must not fire later.
  book.submit(limit("s1", side::sell, 5, 1050));
  ev = book.submit(limit("b1", side::buy, 5, 1050));
  CHECK(triggered_ids(ev).empty());
  book.check_invariants();
}

TEST_CASE("stops trigger on trades, or at once when already satisfied", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 10, 1005));
  book.submit(limit("s2", side::sell, 10, 1010));
  book.submit(limit("s3", side::sell, 10, 1020));

  auto ev = book.submit(stop_market("st", side::buy, 5, 1010));
  REQUIRE(kinds(ev) == std::vector{accepted}); // no last price yet: parked

  // A print at 1005 is below the buy trigger.
  ev = book.submit(market("m1", side::buy, 10));
  CHECK(triggered_ids(ev).empty());
  CHECK_FALSE(book.find("st")->triggered);

  // A print at 1010 reaches it: the stop fires after the taker's turn.
  ev = book.submit(limit("b1", side::buy, 5, 1010, validity::day, "broker"));
  REQUIRE(kinds(ev) == std::vector{accepted, trade, trade, triggered, trade, trade});
  CHECK(ev[3].order_id == "st");
  CHECK(ev[4].order_id == "st");
  CHECK(ev[4].last_price == 1010);
  CHECK(ev[4].cum_quantity == 5);
  CHECK(ev[5].order_id == "s2");
  CHECK(ev[5].leaves_quantity == 0);
  auto st = book.find("st");
  REQUIRE(st);
  CHECK(st->triggered);
  CHECK_FALSE(st->working);
  CHECK(st->cum_quantity == 5);

  SECTION("immediate trigger at submit") {
    // Last is 1010; a sell stop at 1015 (fires when last <= 1015) fires now
    // and, as a DAY stop-limit at 1015, rests.
    ev = book.submit(stop_limit("sl", side::sell, 7, 1015, 1015));
    REQUIRE(kinds(ev) == std::vector{accepted, triggered});
    auto sl = book.find("sl");
    REQUIRE(sl);
    CHECK(sl->triggered);
    CHECK(sl->working);
    CHECK(book.best_ask() == 1015);
    CHECK(book.asks(1)[0].quantity == 7);
  }
  SECTION("stop on the wrong side of last stays parked") {
    ev = book.submit(stop_market("up", side::buy, 5, 1050));
    REQUIRE(kinds(ev) == std::vector{accepted});
    ev = book.submit(stop_market("down", side::sell, 5, 1000));
    REQUIRE(kinds(ev) == std::vector{accepted});
    CHECK(book.working_orders() == 3); // s3 + two parked stops
    CHECK_FALSE(book.find("up")->triggered);
    CHECK_FALSE(book.find("down")->triggered);
  }
  book.check_invariants();
}

TEST_CASE("triggered stop-market with nothing to hit is cancelled", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 5, 1000));
  book.submit(limit("b1", side::buy, 5, 1000)); // last = 1000, book empty
  auto ev = book.submit(stop_market("st", side::sell, 5, 1000));
  REQUIRE(kinds(ev) == std::vector{accepted, triggered, cancelled});
  CHECK(ev[2].text.find("liquidity") != std::string::npos);
  CHECK(book.working_orders() == 0);
}

TEST_CASE("stop cascade: a triggered stop's trades trigger the next", "[order_book]") {
  auto book = make_book();
  // Set last to 1000 with a one-share trade.
  book.submit(limit("s0", side::sell, 1, 1000));
  book.submit(limit("b0", side::buy, 1, 1000));
  REQUIRE(book.last_price() == 1000);

  book.submit(limit("b990", side::buy, 10, 990));
  book.submit(limit("b980", side::buy, 10, 980));
  book.submit(limit("b970", side::buy, 10, 970));
  REQUIRE(kinds(book.submit(stop_market("A", side::sell, 10, 990))) == std::vector{accepted});
  REQUIRE(kinds(book.submit(stop_market("B", side::sell, 10, 980))) == std::vector{accepted});

  // Selling 10 prints 990 -> A fires, sells into 980 -> B fires, sells into 970.
  auto ev = book.submit(market("m", side::sell, 10));
  REQUIRE(kinds(ev) ==
          std::vector{accepted, trade, trade, triggered, trade, trade, triggered, trade, trade});
  CHECK(ev[2].order_id == "b990");
  CHECK(ev[3].order_id == "A");
  CHECK(ev[4].order_id == "A");
  CHECK(ev[4].last_price == 980);
  CHECK(ev[6].order_id == "B");
  CHECK(ev[7].order_id == "B");
  CHECK(ev[7].last_price == 970);
  CHECK(book.last_price() == 970);
  CHECK_FALSE(book.best_bid());
  CHECK(book.volume() == 31);
  CHECK(book.working_orders() == 0);
  book.check_invariants();
}

TEST_CASE("stops triggered by the same print fire in submission order", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s0", side::sell, 1, 1000));
  book.submit(limit("b0", side::buy, 1, 1000));
  book.submit(limit("bid", side::buy, 100, 985));

  // Submitted first but with the lower trigger, so the trigger-sorted stop
  // list would put it second.
  book.submit(stop_market("early", side::sell, 1, 990));
  book.submit(stop_market("late", side::sell, 1, 995));

  auto ev = book.submit(market("m", side::sell, 1)); // prints 985: both fire
  CHECK(triggered_ids(ev) == std::vector<std::string>{"early", "late"});
  CHECK(trades_of(ev, "early").size() == 1);
  CHECK(trades_of(ev, "late").size() == 1);
  book.check_invariants();
}

TEST_CASE("a sweep triggers stops at intermediate prints", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s0", side::sell, 1, 1005));
  book.submit(limit("b0", side::buy, 1, 1005)); // last = 1005
  book.submit(limit("s1", side::sell, 5, 1000));
  book.submit(limit("s2", side::sell, 5, 1010));
  book.submit(limit("b1", side::buy, 5, 995));
  // Fires when last <= 1000; last is 1005, so it waits.
  REQUIRE(kinds(book.submit(stop_market("st", side::sell, 2, 1000))) == std::vector{accepted});

  // Prints 1000 then 1010: the sweep ends above the trigger, but it passed it.
  auto ev = book.submit(market("m", side::buy, 9));
  CHECK(triggered_ids(ev) == std::vector<std::string>{"st"});
  auto fills = trades_of(ev, "st");
  REQUIRE(fills.size() == 1);
  CHECK(fills[0].last_price == 995);
  CHECK(fills[0].counterparty_order_id == "b1");
  CHECK(book.last_price() == 995);
  book.check_invariants();
}

TEST_CASE("validation rejects and changes nothing", "[order_book]") {
  auto book = make_book();
  book.submit(limit("b1", side::buy, 10, 995));
  const size_t working_before = book.working_orders();

  auto expect_reject = [&](book_order o, const std::string& needle) {
    auto ev = book.submit(std::move(o));
    REQUIRE(kinds(ev) == std::vector{rejected});
    INFO("text: " << ev[0].text);
    CHECK(ev[0].text.find(needle) != std::string::npos);
    CHECK(book.working_orders() == working_before);
    CHECK(book.best_bid() == 995);
    CHECK(book.bids(5)[0].quantity == 10);
    CHECK_FALSE(book.best_ask());
  };

  expect_reject(limit("x1", side::sell, 10, 1002), "tick");     // off tick
  expect_reject(limit("x2", side::sell, 10, 0), "tick");        // not positive
  expect_reject(limit("x3", side::sell, 10, -5), "tick");
  expect_reject(limit("x4", side::sell, 10, 1105), "band");     // above band
  expect_reject(limit("x5", side::buy, 10, 895), "band");       // below band
  expect_reject(limit("x6", side::sell, 0, 1000), "quantity");
  expect_reject(limit("x7", side::sell, -3, 1000), "quantity");
  expect_reject(market("x8", side::sell, 0), "quantity");
  expect_reject(stop_market("x9", side::buy, 5, 1003), "trigger");
  expect_reject(stop_market("x10", side::buy, 5, 1200), "trigger");
  expect_reject(stop_limit("x11", side::buy, 5, 1000, 1001), "price");
  expect_reject(stop_limit("x12", side::buy, 5, 1001, 1000), "trigger");
  expect_reject(limit("b1", side::sell, 10, 1000), "duplicate"); // duplicate of a working order
  expect_reject(limit("", side::sell, 10, 1000), "id");

  // Band edges are inclusive, and the rejected ids are free for later use.
  CHECK(kinds(book.submit(limit("x4", side::sell, 1, 1100))) == std::vector{accepted});
  CHECK(kinds(book.submit(limit("x5", side::buy, 1, 900))) == std::vector{accepted});
  book.check_invariants();
}

TEST_CASE("duplicate id of a filled order is still rejected while remembered", "[order_book]") {
  auto book = make_book();
  book.submit(limit("s1", side::sell, 5, 1000));
  book.submit(market("m1", side::buy, 5));
  REQUIRE_FALSE(book.find("s1")->working);
  auto ev = book.submit(limit("s1", side::sell, 5, 1000));
  REQUIRE(kinds(ev) == std::vector{rejected});
  CHECK(ev[0].text.find("duplicate") != std::string::npos);
}

TEST_CASE("expire_day_orders expires every working order, stops included", "[order_book]") {
  auto book = make_book();
  book.submit(limit("b1", side::buy, 10, 995));
  book.submit(limit("s1", side::sell, 10, 1005));
  book.submit(stop_market("st", side::buy, 5, 1050));
  book.submit(market("m1", side::sell, 4)); // b1: cum 4
  book.submit(limit("gone", side::buy, 5, 990));
  book.cancel("gone");
  REQUIRE(book.working_orders() == 3);

  auto ev = book.expire_day_orders();
  REQUIRE(ev.size() == 3);
  CHECK(all_of_kind(ev, expired));
  // Submission order, whatever the hash map does.
  CHECK(ev[0].order_id == "b1");
  CHECK(ev[1].order_id == "s1");
  CHECK(ev[2].order_id == "st");
  CHECK(ev[0].cum_quantity == 4);
  CHECK(ev[0].leaves_quantity == 0);
  CHECK_FALSE(ev[0].text.empty());

  CHECK(book.working_orders() == 0);
  CHECK_FALSE(book.best_bid());
  CHECK_FALSE(book.best_ask());
  CHECK_FALSE(book.find("st")->working);
  CHECK(kinds(book.cancel("b1")) == std::vector{rejected});
  CHECK(book.expire_day_orders().empty());
  book.check_invariants();

  // The expired stop does not fire in the next session.
  book.submit(limit("s2", side::sell, 5, 1050));
  auto next = book.submit(limit("b2", side::buy, 5, 1050));
  CHECK(triggered_ids(next).empty());
}

TEST_CASE("final orders are forgotten after the retention limit, working ones never", "[order_book]") {
  order_book book("INFY", 5, 900, 1100, /*final_orders_kept=*/2);
  book.submit(limit("rest", side::buy, 1, 900));
  for (int i = 0; i < 3; ++i) {
    std::string id = "s" + std::to_string(i);
    book.submit(limit(id, side::sell, 1, 1000));
    book.cancel(id);
  }
  CHECK_FALSE(book.find("s0"));
  CHECK(book.find("s1"));
  CHECK(book.find("s2"));
  CHECK(book.find("rest"));
  CHECK(book.find("rest")->working);
  book.check_invariants();
}

TEST_CASE("randomized: invariants hold after every step", "[order_book][random]") {
  // What the test knows about each accepted order, rebuilt from events only.
  struct model_order {
    side s;
    book_order_type type;
    int64_t quantity;
    money price;
    int64_t cum = 0;
    bool is_final = false;
  };

  std::mt19937_64 rng(0x5eedb00c);
  auto pick = [&](int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); };

  auto book = make_book();
  std::map<std::string, model_order> model;
  std::vector<std::string> ids;
  int64_t bought = 0, sold = 0;
  int trades = 0, triggers = 0, cancels = 0, rejects = 0, expiries = 0;

  auto apply = [&](const events& ev) {
    for (size_t i = 0; i < ev.size(); ++i) {
      const book_event& e = ev[i];
      if (e.kind == rejected) {
        ++rejects;
        continue;
      }
      if (e.kind == accepted) {
        // submit() registers the order in the model before applying
        continue;
      }
      auto it = model.find(e.order_id);
      REQUIRE(it != model.end());
      model_order& m = it->second;
      REQUIRE_FALSE(m.is_final); // nothing happens to a final order
      switch (e.kind) {
      case book_event_kind::trade: {
        // Trades come in pairs, taker first; check the pair from its taker.
        if (e.aggressor) {
          REQUIRE(i + 1 < ev.size());
          const book_event& mk = ev[i + 1];
          REQUIRE(mk.kind == trade);
          REQUIRE_FALSE(mk.aggressor);
          REQUIRE(mk.order_id == e.counterparty_order_id);
          REQUIRE(mk.counterparty_order_id == e.order_id);
          REQUIRE(mk.last_quantity == e.last_quantity);
          REQUIRE(mk.last_price == e.last_price);
          REQUIRE(model.at(mk.order_id).s != m.s);
          ++trades;
        }
        REQUIRE(e.last_quantity > 0);
        m.cum += e.last_quantity;
        REQUIRE(e.cum_quantity == m.cum);
        REQUIRE(m.cum <= m.quantity); // never overfilled
        REQUIRE(e.cum_quantity + e.leaves_quantity == m.quantity);
        (m.s == side::buy ? bought : sold) += e.last_quantity;
        // A limit-priced order never trades through its limit.
        if (m.type == book_order_type::limit || m.type == book_order_type::stop_limit) {
          if (m.s == side::buy)
            REQUIRE(e.last_price <= m.price);
          else
            REQUIRE(e.last_price >= m.price);
        }
        if (e.leaves_quantity == 0)
          m.is_final = true;
        break;
      }
      case book_event_kind::triggered:
        ++triggers;
        REQUIRE((m.type == book_order_type::stop_market || m.type == book_order_type::stop_limit));
        REQUIRE(e.cum_quantity == 0);
        break;
      case book_event_kind::cancelled:
      case book_event_kind::expired:
        (e.kind == cancelled ? cancels : expiries)++;
        REQUIRE(e.cum_quantity == m.cum);
        REQUIRE(e.leaves_quantity == 0);
        m.is_final = true;
        break;
      default:
        FAIL("unexpected event kind");
      }
    }
  };

  const book_order_type types[] = {book_order_type::limit, book_order_type::limit, book_order_type::limit,
                                   book_order_type::market, book_order_type::stop_market,
                                   book_order_type::stop_limit};
  int next_id = 0;
  for (int step = 0; step < 5000; ++step) {
    const int64_t action = pick(0, 99);
    if (action < 65) {
      book_order o;
      o.id = "o" + std::to_string(next_id++);
      if (pick(0, 99) == 0 && !ids.empty())
        o.id = ids[pick(0, ids.size() - 1)]; // duplicate
      o.participant = pick(0, 1) ? "broker" : "lp";
      o.side = pick(0, 1) ? side::buy : side::sell;
      o.type = types[pick(0, 5)];
      o.tif = pick(0, 4) == 0 ? validity::ioc : validity::day;
      o.quantity = pick(0, 60) == 0 ? 0 : pick(1, 50);
      // Around 1000, a tick apart; now and then off tick or outside the band.
      o.price = 1000 + 5 * pick(-8, 8) + (pick(0, 80) == 0 ? 2 : 0);
      o.trigger_price = 1000 + 5 * pick(-8, 8);
      if (pick(0, 80) == 0)
        o.price = 1200;
      const bool fresh = model.find(o.id) == model.end();
      const model_order m{o.side, o.type, o.quantity, o.price};
      const std::string id = o.id;

      auto ev = book.submit(std::move(o));
      REQUIRE_FALSE(ev.empty());
      if (ev[0].kind == accepted) {
        REQUIRE(fresh);
        model.emplace(id, m);
        ids.push_back(id);
      } else {
        REQUIRE(ev.size() == 1);
      }
      apply(ev);
    } else if (action < 95 && !ids.empty()) {
      const std::string id = pick(0, 9) == 0 ? "unknown" : ids[pick(0, ids.size() - 1)];
      auto ev = book.cancel(id);
      REQUIRE(ev.size() == 1);
      auto it = model.find(id);
      const bool working = it != model.end() && !it->second.is_final;
      CHECK(ev[0].kind == (working ? cancelled : rejected));
      apply(ev);
    } else if (action == 99) {
      apply(book.expire_day_orders());
    }

    // After every step.
    book.check_invariants();
    auto bid = book.best_bid();
    auto ask = book.best_ask();
    if (bid && ask)
      REQUIRE(*bid < *ask);
    REQUIRE(bought == sold);
    REQUIRE(book.volume() == bought);
    size_t working = 0;
    for (const auto& [id, m] : model) {
      if (m.is_final)
        continue;
      ++working;
      auto state = book.find(id);
      REQUIRE(state);
      REQUIRE(state->working);
      REQUIRE(state->cum_quantity == m.cum);
      REQUIRE(state->cum_quantity + state->leaves_quantity == m.quantity);
    }
    REQUIRE(book.working_orders() == working);
  }

  // The run must have exercised every path, or it proves little.
  CHECK(trades > 500);
  CHECK(triggers > 20);
  CHECK(cancels > 100);
  CHECK(rejects > 20);
  CHECK(expiries > 0);
}
