// A symbol actor that dies is spawned again by its supervisor: the new one
// carries on from the quote last published, takes the feed, and has the
// symbol's active alerts armed again from the store.
#include <catch2/catch.hpp>

#include <unistd.h>

#include "actors/messages.hpp"
#include "tests/actor/node_harness.hpp"

using namespace broker;
using namespace broker::testing;


TEST_CASE("a symbol actor that died is spawned again with its quote and its alerts", "[actors][symbol]") {
  auto dir = std::filesystem::temp_directory_path() / ("broker-symbol-respawn-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  {
    node_harness h{dir};
    auto u = h.funded_user("alerts@example.com", 10'000'000);
    h.advance(std::chrono::seconds{1}); // a requote or two: the board has a live quote
    auto before = *h.broker->quotes().quote_of("TCS");
    REQUIRE(before.time > 0);
    auto alert = ok(h.ask<price_alert>([&](auto done) {
      h.broker->create_alert(u, {"TCS", alert_condition::above, before.ltp + 50'000}, done);
    }));
    auto old_actor = h.broker->symbols().of("TCS");
    REQUIRE(h.armed_alerts("TCS") == std::vector<std::pair<user_id, int64_t>>{{u, alert.id}});

    caf::anon_send_exit(old_actor, caf::exit_reason::unhandled_exception); // as an uncaught exception would
    h.run();
    auto new_actor = h.broker->symbols().of("TCS");
    REQUIRE(new_actor);
    CHECK(new_actor != old_actor);
    CHECK(h.broker->symbols().restarts() == 1);
    CHECK(h.armed_alerts("TCS") == std::vector<std::pair<user_id, int64_t>>{{u, alert.id}});
    auto resumed = ok(h.ask<quote>([&](auto done) { h.broker->get_quote("TCS", done); }));
    CHECK(resumed.ltp == before.ltp);
    CHECK(resumed.prev_close == before.prev_close);

    h.advance(std::chrono::seconds{1}); // the feed reaches the new actor
    CHECK(h.broker->quotes().quote_of("TCS")->time > before.time);
    // A node stopping is not a death to repair: nothing is spawned again.
  }
  std::filesystem::remove_all(dir);
}
