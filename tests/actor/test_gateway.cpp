// The gateway answers every call exactly once: with the callee's answer, or
// "overloaded" once the deadline has passed (a late answer is then dropped),
// or "shutting down" when it stops. Deterministic scheduler, manual clock.
#include <optional>
#include <string>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <catch2/catch.hpp>

#include "actors/gateway.hpp"
#include "actors/messages.hpp"

using namespace broker;

namespace {

using ping_atom = caf::atom_constant<caf::atom("ping")>;

// Asks `callee` for an int; counts how often it was answered.
struct counting_call final : gateway_call {
  caf::actor callee;
  int answers = 0;
  std::optional<int> value;
  std::optional<bool> expired_by_stop;

  void start(caf::event_based_actor* self) override {
    auto me = std::static_pointer_cast<counting_call>(shared_from_this());
    self->request(callee, caf::infinite, ping_atom::value).then([me](int v) {
      if (me->settle()) {
        ++me->answers;
        me->value = v;
      }
    });
  }
  void expire(bool stopping) override {
    ++answers;
    expired_by_stop = stopping;
  }
};

// Holds every ping until told to answer them all.
caf::behavior slow_callee(caf::event_based_actor* self, int answer) {
  auto held = std::make_shared<std::vector<caf::response_promise>>();
  return {
    [=](ping_atom) -> caf::result<int> {
      held->push_back(self->make_response_promise());
      return caf::delegated<int>{};
    },
    [=](caf::ok_atom) {
      for (auto& rp : *held)
        rp.deliver(answer);
      held->clear();
    },
  };
}

struct gateway_fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  manual_clock clock{1'767'225'600'000'000'000};
  caf::actor gateway, callee;

  gateway_fixture() {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    gateway_options opts;
    opts.sweep_every = std::chrono::milliseconds{100};
    gateway = spawn_gateway(*sys, &clock, opts);
    callee = sys->spawn(slow_callee, 7);
  }
  ~gateway_fixture() {
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(callee, caf::exit_reason::user_shutdown);
    sched->run();
  }

  std::shared_ptr<counting_call> call(timestamp deadline) {
    auto c = std::make_shared<counting_call>();
    c->callee = callee;
    c->deadline = deadline;
    send_call(gateway, c);
    sched->run();
    return c;
  }
  // One sweep period of simulated time on both clocks.
  void tick() {
    clock.advance(100'000'000);
    sched->trigger_timeouts();
    sched->run();
  }
};

} // namespace

TEST_CASE("a call is answered once, by its callee, when it answers in time", "[gateway]") {
  gateway_fixture f;
  auto c = f.call(f.clock.now() + 1'000'000'000);
  CHECK(c->answers == 0);
  caf::anon_send(f.callee, caf::ok_atom::value);
  f.sched->run();
  CHECK(c->answers == 1);
  CHECK(c->value == 7);
  f.tick(); // the sweep finds it answered and does nothing
  CHECK(c->answers == 1);
}

TEST_CASE("an overdue call is answered overloaded and its late answer dropped", "[gateway]") {
  gateway_fixture f;
  auto c = f.call(f.clock.now() + 250'000'000); // 250 ms
  f.tick();
  f.tick();
  CHECK(c->answers == 0); // 200 ms: not yet due
  f.tick();
  CHECK(c->answers == 1); // 300 ms: the sweep answered it
  CHECK(c->expired_by_stop == false);
  CHECK_FALSE(c->value.has_value());
  caf::anon_send(f.callee, caf::ok_atom::value);
  f.sched->run();
  CHECK(c->answers == 1); // the late answer changed nothing
  CHECK_FALSE(c->value.has_value());
}

TEST_CASE("calls still waiting when the gateway stops are answered, not forgotten", "[gateway]") {
  gateway_fixture f;
  auto waiting = f.call(f.clock.now() + 1'000'000'000);
  auto answered = f.call(f.clock.now() + 1'000'000'000);
  answered->settle(); // as if its answer had come
  caf::anon_send_exit(f.gateway, caf::exit_reason::user_shutdown);
  f.sched->run();
  CHECK(waiting->answers == 1);
  CHECK(waiting->expired_by_stop == true);
  CHECK(answered->answers == 0);
}
