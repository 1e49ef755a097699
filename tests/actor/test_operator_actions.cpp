// The console's actions on accounts and the exchange link: a blocked user's
// new orders are refused (and the block is stored), a passivated account
// leaves memory and comes back from the store on next use, a restarted link
// comes up again and reconciles.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

namespace {

place_order_request limit_buy(const std::string& symbol, money price) {
  place_order_request r;
  r.symbol = symbol;
  r.type = order_type::limit;
  r.quantity = 1;
  r.price = price;
  return r;
}

size_t live_accounts(const actor_census& c) {
  auto all = c.entries();
  return static_cast<size_t>(std::count_if(all.begin(), all.end(), [](auto& e) { return e.kind == actor_kind::account; }));
}

} // namespace

TEST_CASE("a blocked user places no orders until unblocked, across a restart", "[actors][operators]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-block-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir, {std::chrono::milliseconds{0}, false, true}}; // no market maker: orders rest
    auto u = h.funded_user("blocked@example.com", 10'000'000);
    auto place = [&](const std::string& key) {
      return h.ask<order>([&](auto done) { h.broker->place_order(u, limit_buy("TCS", 380000), key, done); });
    };
    auto resting = ok(place("before"));
    h.run();
    auto blocked = ok(h.ask<user_profile>([&](auto done) { h.broker->block_trading(u, true, done); }));
    CHECK(blocked.trading_blocked);
    auto held = ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); })).held;
    CHECK(refused(place("")) == reject_reason::trading_blocked);
    CHECK(ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); })).held == held);
    CHECK(ok(place("before")).id == resting.id); // a replay is still the order placed before
    CHECK(ok(h.ask<order>([&](auto done) { h.broker->cancel_order(u, resting.id, done); })).status
          == order_status::pending_cancel);

    h.crash();
    h.recover();
    CHECK(refused(place("")) == reject_reason::trading_blocked); // stored
    CHECK_FALSE(ok(h.ask<user_profile>([&](auto done) { h.broker->block_trading(u, false, done); })).trading_blocked);
    CHECK(std::holds_alternative<order>(place("")));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a passivated account leaves memory and is read back on next use", "[actors][operators]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-passivate-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir, {std::chrono::milliseconds{0}, false, true}};
    auto u = h.funded_user("idle@example.com", 10'000'000);
    ok(h.ask<order>([&](auto done) { h.broker->place_order(u, limit_buy("TCS", 380000), "", done); }));
    h.run();
    auto before = ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    REQUIRE(live_accounts(*h.broker->census()) == 1);

    CHECK(ok(h.ask<bool>([&](auto done) { h.broker->passivate_account(u, done); })));
    h.run();
    CHECK(live_accounts(*h.broker->census()) == 0);
    CHECK_FALSE(ok(h.ask<bool>([&](auto done) { h.broker->passivate_account(u, done); }))); // not live
    CHECK_FALSE(ok(h.ask<bool>([&](auto done) { h.broker->passivate_account(999, done); })));

    // Next use: the same books, from the store.
    auto after = ok(h.ask<cash_balance>([&](auto done) { h.broker->balance(u, done); }));
    CHECK(after.available == before.available);
    CHECK(after.held == before.held);
    CHECK(live_accounts(*h.broker->census()) == 1);
    auto orders = ok(h.ask<order_page>([&](auto done) { h.broker->list_orders(u, {}, done); }));
    CHECK(orders.total == 1);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("a restarted exchange link comes up again", "[actors][operators]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-relink-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto connects = h.broker->exchange_status().connects.load();
    REQUIRE(h.broker->exchange_status().up.load());
    CHECK(ok(h.ask<bool>([&](auto done) { h.broker->restart_exchange_link(done); })));
    h.run();
    h.advance(std::chrono::seconds{10}); // the back-off, then the reconcile
    CHECK(h.broker->exchange_status().up.load());
    CHECK(h.broker->exchange_status().connects.load() == connects + 1);
    auto u = h.funded_user("relink@example.com", 10'000'000);
    place_order_request r;
    r.symbol = "TCS";
    r.quantity = 1;
    CHECK(std::holds_alternative<order>(
      h.ask<order>([&](auto done) { h.broker->place_order(u, r, "", done); })));
  }
  std::filesystem::remove_all(dir);
}
