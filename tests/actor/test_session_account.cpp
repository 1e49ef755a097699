// A WebSocket session following an account whose actor died: it follows the
// account rebuilt from the store and tells the client to fetch again, where
// it used to go silent for good (found by broker-sim's account kills).
#include <catch2/catch.hpp>

#include <unistd.h>

#include "sim/simulated_client.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;

TEST_CASE("a session whose account actor died follows the reloaded one and says resync", "[actors][session]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-session-account-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto u = h.funded_user("follow@example.com", 10'000'000);
    auto client = std::make_shared<sim::simulated_client>();
    auto connection = h.broker->open_session(client, [u](const std::string& t) -> std::optional<user_id> {
      return t == "good" ? std::optional{u} : std::nullopt;
    });
    connection->on_text(R"({"action":"auth","token":"good"})");
    connection->on_text(R"({"action":"subscribe","channels":["orders"]})");
    h.run();
    REQUIRE(client->following_orders);

    auto account = h.account_of(u);
    REQUIRE(account);
    caf::anon_send_exit(account, caf::exit_reason::unhandled_exception); // as a handler's uncaught exception would
    h.run();
    CHECK(client->resync_pending); // told pushes may have been missed
    CHECK_FALSE(client->closed);

    place_order_request r;
    r.symbol = "TCS";
    r.side = side::buy;
    r.type = order_type::market;
    r.quantity = 1;
    auto placed = ok(h.ask<order>([&](auto done) { h.broker->place_order(u, r, "", done); }));
    h.advance(std::chrono::seconds{1});
    // The reloaded account's pushes reach the session.
    REQUIRE(client->order_status.count(placed.id));
    CHECK(client->order_status.at(placed.id) == "FILLED");
    connection->on_closed();
    h.run();
  }
  std::filesystem::remove_all(dir);
}
