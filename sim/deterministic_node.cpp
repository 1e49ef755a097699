#include "sim/deterministic_node.hpp"

#include <atomic>

#include "actors/messages.hpp"
#include "sim/exchange.hpp"
#include "sim/outside_services.hpp"
#include "storage/sqlite_store.hpp"

namespace broker::sim {

deterministic_node::deterministic_node(std::filesystem::path d, options o)
  : dir(std::move(d)), clock(o.start), opts_(std::move(o)) {
  std::filesystem::create_directories(dir);
  cfg.set("scheduler.policy", caf::atom("testing"));
  cfg.set("logger.inline-output", true);
  sys = std::make_unique<caf::actor_system>(cfg);
  sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  if (opts_.simulated_disk) {
    static std::atomic<int> disks{0}; // VFS names are process-wide
    disk = std::make_unique<simulated_disk>("simdisk-" + std::to_string(++disks));
  }
  db = std::make_shared<faulty_store>(open_store());
  instruments = load_instruments(opts_.instruments_csv);
  calendar_rules rules;
  rules.always_open = opts_.always_open;
  rules.holidays = opts_.holidays;
  calendar_ = std::make_shared<const market_calendar>(rules);
  start_node();
}

exchange_options deterministic_node::exchange_settings() const {
  exchange_options ex;
  ex.market_maker = opts_.market_maker;
  ex.seed = opts_.seed;
  ex.quote_interval = opts_.quote_interval;
  ex.expected_working_orders = 1 << 12; // not a million: a crashed node's exchange is spawned again
  ex.remember_reports = opts_.exchange_outlives_links;
  ex.reject_per_million = opts_.exchange_reject_per_million;
  return ex;
}

std::shared_ptr<store> deterministic_node::open_store() const {
  sqlite_options so;
  if (disk) {
    so.vfs = disk->vfs_name();
    so.background_checkpoint_pages = 0; // no thread of its own: the run stays deterministic
  } else {
    so.synchronous_full = false; // the same code path; an fsync proves nothing here
  }
  return std::make_shared<sqlite_store>((dir / "broker.db").string(), so);
}

void deterministic_node::start_node() {
  if (opts_.exchange_outlives_links && !venue)
    venue = spawn_exchange(*sys, instruments, calendar_, &clock, exchange_settings());
  auto open_exchange = [this] {
    ++exchanges_opened;
    current_exchange = venue ? spawn_exchange_session(*sys, venue, opts_.link_faults ? opts_.link_faults
                                                                                     : std::make_shared<session_faults>())
                             : spawn_exchange(*sys, instruments, calendar_, &clock, exchange_settings());
    return current_exchange;
  };
  exchange = open_exchange();
  outside_services outside{exchange, spawn_kyc_provider(*sys, {opts_.kyc_delay}), spawn_payment_gateway(*sys, {0}),
                           open_exchange};
  node_options no;
  no.users.cost = password_cost::minimum();
  no.users.detached = false;
  no.persistence.detached = false;
  no.desk.cost = password_cost::minimum();
  no.desk.detached = false;
  // Handler times on the simulated clock: zero, as every handler runs in no
  // simulated time, and the same in every run.
  no.census = std::make_shared<actor_census>([this] { return clock.now(); });
  no.persistence.timings = opts_.commit_times;
  no.persistence.probe = opts_.probe;
  no.symbols.conflation_interval = opts_.conflation_interval;
  broker = std::make_unique<node>(*sys, db, instruments, calendar_, clock, outside, no);
  run();
}

deterministic_node::~deterministic_node() {
  broker.reset(); // sends every actor an exit
  if (venue)
    caf::anon_send_exit(venue, caf::exit_reason::user_shutdown);
  run();
  sys.reset();
}

void deterministic_node::advance(std::chrono::nanoseconds d) {
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

void deterministic_node::crash() {
  broker->kill_all();
  run();
  broker.reset();
  run(); // timers the dead actors armed stay on the clock and fire into nothing
  if (disk) { // the power goes with it: what was never synced is lost
    disk->power_off();
    db->replace_inner(nullptr); // closes it; its close-time checkpoint is lost too
    disk->power_on();
    db->replace_inner(open_store()); // SQLite recovers from what was synced
  }
}

void deterministic_node::recover() {
  start_node();
}

caf::actor deterministic_node::account_of(user_id u) {
  caf::actor out;
  request_from(broker->directory(), [&](caf::event_based_actor* self, const caf::actor& dir) {
    self->request(dir, caf::infinite, account_atom::value, u)
      .then([&](caf::actor& a) { out = std::move(a); }, [](caf::error&) {});
  });
  return out;
}

std::vector<std::pair<user_id, int64_t>> deterministic_node::armed_alerts(const std::string& symbol) {
  std::vector<std::pair<user_id, int64_t>> out;
  request_from(broker->symbols().of(symbol), [&](caf::event_based_actor* self, const caf::actor& actor) {
    self->request(actor, caf::infinite, alerts_atom::value)
      .then([&](std::vector<std::pair<user_id, int64_t>>& armed) { out = std::move(armed); }, [](caf::error&) {});
  });
  return out;
}

std::pair<std::vector<execution_report>, uint64_t> deterministic_node::exchange_records() {
  std::pair<std::vector<execution_report>, uint64_t> out;
  if (!venue)
    throw std::logic_error("exchange_records needs exchange_outlives_links");
  request_from(venue, [&](caf::event_based_actor* self, const caf::actor& exchange) {
    self->request(exchange, caf::infinite, orders_atom::value)
      .then([&](std::vector<execution_report>& records, uint64_t refused) { out = {std::move(records), refused}; },
            [](caf::error&) {});
  });
  return out;
}

user_id deterministic_node::funded_user(const std::string& email, money cash) {
  auto ok_or_throw = [](auto&& r) {
    if (auto* rej = std::get_if<rejection>(&r))
      throw std::runtime_error("rejected: " + std::string{code_of(rej->reason)} + ": " + rej->message);
    return std::get<0>(std::move(r));
  };
  auto id = ok_or_throw(ask<user_id>([&](auto done) {
    broker->signup({email, "correct horse battery", "Test User", "9876543210"}, done);
  }));
  ok_or_throw(ask<user_profile>([&](auto done) {
    broker->submit_kyc(id, {"ABCDE1234F", "1990-01-01", "1 Main Road"}, done);
  }));
  if (cash > 0)
    ok_or_throw(ask<transfer>([&](auto done) { broker->deposit(id, cash, done); }));
  return id;
}

} // namespace broker::sim
