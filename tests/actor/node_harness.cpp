#include "tests/actor/node_harness.hpp"

namespace broker::testing {

node_harness::node_harness(std::filesystem::path d, options o) : dir(std::move(d)) {
  std::filesystem::create_directories(dir);
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.inline-output", true);
  sys = std::make_unique<caf::actor_system>(cfg);
  sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  sqlite_options so;
  so.synchronous_full = false; // the same code path; fsync proves nothing in a unit test
  db = std::make_shared<breakable_store>(std::make_shared<sqlite_store>((dir / "broker.db").string(), so));
  instruments = load_instruments(BROKER_CONFIG_DIR "/instruments.csv");
  calendar_rules rules;
  rules.always_open = o.always_open;
  auto calendar = std::make_shared<const market_calendar>(rules);
  sim::exchange_options ex;
  ex.market_maker = o.market_maker;
  auto open_exchange = [this, calendar, ex] {
    ++exchanges_opened;
    return sim::spawn_exchange(*sys, instruments, calendar, &clock, ex);
  };
  exchange = open_exchange();
  outside_services outside{exchange, sim::spawn_kyc_provider(*sys, {o.kyc_delay}),
                           sim::spawn_payment_gateway(*sys, {0}), open_exchange};
  node_options opts;
  opts.users.cost = password_cost::minimum();
  opts.users.detached = false;
  opts.persistence.detached = false;
  opts.persistence.timings = commit_times;
  opts.persistence.probe = probe;
  broker = std::make_unique<node>(*sys, db, instruments, calendar, clock, outside, opts);
  run();
}

node_harness::~node_harness() {
  broker.reset(); // sends every actor an exit
  run();
  sys.reset();
}

void node_harness::advance(std::chrono::milliseconds d) {
  run();
  auto& clk = sched->clock();
  auto until = clk.now() + d;
  while (!clk.schedule().empty() && clk.schedule().begin()->first <= until) {
    auto due = clk.schedule().begin()->first;
    clock.advance(std::chrono::duration_cast<std::chrono::nanoseconds>(due - clk.now()).count());
    sched->trigger_timeout();
    run();
  }
  clock.advance(std::chrono::duration_cast<std::chrono::nanoseconds>(until - clk.now()).count());
  clk.current_time = until;
}

user_id node_harness::funded_user(const std::string& email, money cash) {
  auto id = ok(ask<user_id>([&](auto done) {
    broker->signup({email, "correct horse battery", "Test User", "9876543210"}, done);
  }));
  ok(ask<user_profile>([&](auto done) {
    broker->submit_kyc(id, {"ABCDE1234F", "1990-01-01", "1 Main Road"}, done);
  }));
  if (cash > 0)
    ok(ask<transfer>([&](auto done) { broker->deposit(id, cash, done); }));
  return id;
}

} // namespace broker::testing
