// An operator's halt: new orders in the symbol are refused symbol_halted
// before anything is held; other symbols, cancels and replays of orders
// already placed go on; after resume the symbol trades again.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

namespace {

place_order_request limit_buy(const std::string& symbol, money price) {
  place_order_request r;
  r.symbol = symbol;
  r.side = side::buy;
  r.type = order_type::limit;
  r.quantity = 1;
  r.price = price;
  return r;
}

} // namespace

TEST_CASE("a halted symbol refuses new orders until trading resumes", "[actors][halts]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-halts-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir, {std::chrono::milliseconds{0}, false, true}}; // no market maker: orders rest
    auto u = h.funded_user("halt@example.com", 10'000'000);
    auto place = [&](const std::string& symbol, money price, const std::string& key) {
      return h.ask<order>([&](auto done) { h.broker->place_order(u, limit_buy(symbol, price), key, done); });
    };
    auto resting = ok(place("TCS", 380000, "k1"));
    h.run();

    auto halt = [&](const std::string& symbol, const std::string& reason) {
      return h.ask<trading_halt>(
        [&](auto done) { h.broker->halt_trading(symbol, reason, "ops", done); });
    };
    auto resume = [&](const std::string& symbol) {
      return ok(h.ask<bool>([&](auto done) { h.broker->resume_trading(symbol, done); }));
    };
    CHECK(refused(halt("NOSUCH", "test")) == reject_reason::unknown_symbol);
    CHECK(ok(halt("TCS", "news pending")).operator_name == "ops");
    auto bal_before = ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    auto refused = place("TCS", 380000, "");
    REQUIRE(std::holds_alternative<rejection>(refused));
    CHECK(std::get<rejection>(refused).reason == reject_reason::symbol_halted);
    CHECK(std::get<rejection>(refused).field == "symbol");
    CHECK_THAT(std::get<rejection>(refused).message, Catch::Contains("news pending"));
    auto bal_after = ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    CHECK(bal_after.held == bal_before.held); // nothing held for the refused order
    // A replay of an order placed before the halt is still that order.
    CHECK(ok(place("TCS", 380000, "k1")).id == resting.id);
    CHECK(std::holds_alternative<order>(place("INFY", 150000, ""))); // other symbols trade
    // Cancels go through: nobody is locked into an order.
    CHECK(ok(h.ask<order>([&](auto done) { h.broker->cancel_order(u, resting.id, done); })).status
          == order_status::pending_cancel);
    REQUIRE(h.broker->halts().all().size() == 1);
    CHECK(h.broker->halts().all()[0].reason == "news pending");

    // Stored before it took effect: a node started again on the store keeps it.
    h.crash();
    h.recover();
    REQUIRE(h.broker->halts().all().size() == 1);
    CHECK(h.broker->halts().all()[0].operator_name == "ops");
    CHECK(broker::testing::refused(place("TCS", 380000, "")) == reject_reason::symbol_halted);

    CHECK(resume("TCS"));
    CHECK_FALSE(resume("TCS"));
    CHECK(std::holds_alternative<order>(place("TCS", 380000, "")));
    h.crash();
    h.recover();
    CHECK(h.broker->halts().all().empty()); // the resume was stored too
  }
  std::filesystem::remove_all(dir);
}
