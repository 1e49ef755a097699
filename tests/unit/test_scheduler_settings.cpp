// brokerd and order_bench both take the scheduler's settings from
// apply_scheduler_defaults: what it sets, and that it leaves what the
// configuration already says.
#include <catch2/catch.hpp>

#include <chrono>
#include <sstream>

#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/settings.hpp>

#include "actors/scheduler_settings.hpp"

namespace {

caf::timespan worker_sleep(const caf::actor_system_config& cfg) {
  return caf::get_or(cfg, "work-stealing.moderate-sleep-duration", caf::timespan{});
}

} // namespace

TEST_CASE("scheduler defaults fill only what the configuration left unset", "[scheduler]") {
  SECTION("unset: one worker per core, at least two; idle workers sleep 250us once, then wait") {
    caf::actor_system_config cfg;
    broker::apply_scheduler_defaults(cfg);
    auto threads = caf::get_if<size_t>(&cfg, "scheduler.max-threads");
    REQUIRE(threads);
    CHECK(*threads >= 2);
    CHECK(worker_sleep(cfg) == std::chrono::microseconds{250});
    CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", size_t{0}) == 1);
  }
  SECTION("set in the configuration text: kept") {
    caf::actor_system_config cfg;
    std::istringstream ini{"[scheduler]\nmax-threads=3\n[work-stealing]\nmoderate-sleep-duration=1ms\n"
                           "moderate-poll-attempts=50\n"};
    REQUIRE(!cfg.parse(caf::actor_system_config::string_list{}, ini));
    broker::apply_scheduler_defaults(cfg);
    CHECK(caf::get_or(cfg, "scheduler.max-threads", size_t{0}) == 3);
    CHECK(worker_sleep(cfg) == std::chrono::milliseconds{1});
    CHECK(caf::get_or(cfg, "work-stealing.moderate-poll-attempts", size_t{0}) == 50);
  }
}
