#pragma once
// A whole broker node on CAF's deterministic scheduler: the real actors, a
// real SQLite file, the in-process simulated exchange behind the same
// connector as the FIX link; time from a manual clock (UTC) and CAF's test
// clock (timers), moved together. run() drains every message; nothing sleeps.
// The actor tests and broker-sim both run on it.
//
// crash() is a process dying: every actor is killed at once, so what the
// persistence actor held and had not committed is lost; recover() starts a
// new node on the same store, as brokerd does after a restart.
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <variant>

#include <caf/all.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include "actors/node.hpp"
#include "sim/exchange.hpp"
#include "sim/exchange_session.hpp"
#include "sim/faulty_store.hpp"
#include "sim/simulated_disk.hpp"

namespace broker::sim {

struct deterministic_node_options {
  std::string instruments_csv;
  std::chrono::milliseconds kyc_delay{0};
  bool market_maker = true;
  bool always_open = true;
  std::set<std::string> holidays;
  uint64_t seed = 42;                           // the simulated exchange's market maker
  std::chrono::milliseconds quote_interval{250}; // how often it requotes
  std::chrono::milliseconds conflation_interval{100}; // the sessions' beat
  timestamp start = 1'767'225'600'000'000'000; // 2026-01-01T00:00:00Z
  // The exchange outlives links and node crashes, as a real one does: each
  // link is a session to it (sim/exchange_session.hpp) with these faults,
  // and it answers a reconcile with what the broker missed. Otherwise each
  // link is a fresh exchange that forgets what the last one knew.
  bool exchange_outlives_links = false;
  std::shared_ptr<session_faults> link_faults; // with exchange_outlives_links; null: none
  uint32_t exchange_reject_per_million = 0;    // see exchange_options
  // The store on a disk that loses unsynced writes when the node crashes
  // (sim/simulated_disk.hpp), with synchronous=FULL as brokerd runs it.
  // Otherwise a crash keeps every write, as a process dying on a live
  // machine does.
  bool simulated_disk = false;
  std::shared_ptr<persistence_probe> probe;    // optional
  std::shared_ptr<commit_timings> commit_times; // optional
};

class deterministic_node {
public:
  using options = deterministic_node_options;

  deterministic_node(std::filesystem::path dir, options o);
  ~deterministic_node();
  deterministic_node(const deterministic_node&) = delete;
  deterministic_node& operator=(const deterministic_node&) = delete;

  void run() { sched->run(); }
  // Runs at most `n` messages (a fault can then strike mid-flow); how many ran.
  size_t step(size_t n) { return sched->run(n); }
  // Fires due timers in order until `d` of simulated time has passed.
  void advance(std::chrono::nanoseconds d);
  void advance_to(timestamp t) { advance(std::chrono::nanoseconds{std::max<timestamp>(0, t - clock.now())}); }

  // Calls `call(done)` with a reply callback, runs the system, and returns the answer.
  template <class T, class Call>
  std::variant<T, rejection> ask(Call call) {
    std::optional<std::variant<T, rejection>> out;
    call([&](std::variant<T, rejection> r) { out = std::move(r); });
    run();
    if (!out)
      throw std::runtime_error("no reply after the system went quiet");
    return std::move(*out);
  }

  // Signs up, verifies KYC and deposits `cash`; returns the user id.
  user_id funded_user(const std::string& email, money cash);

  void crash();
  void recover();

  // The user's account actor (spawned if need be); invalid for an unknown user.
  caf::actor account_of(user_id u);
  // The alerts `symbol`'s actor holds armed, as (user, alert id).
  std::vector<std::pair<user_id, int64_t>> armed_alerts(const std::string& symbol);
  // With exchange_outlives_links: every report the exchange made, in order,
  // and how many new orders it refused on purpose.
  std::pair<std::vector<execution_report>, uint64_t> exchange_records();

  const options& settings() const { return opts_; }

  std::filesystem::path dir;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  manual_clock clock;
  std::unique_ptr<simulated_disk> disk; // with options::simulated_disk; outlives db
  std::shared_ptr<faulty_store> db;
  std::shared_ptr<const instrument_table> instruments;
  std::unique_ptr<node> broker;
  caf::actor exchange;         // the node's first exchange link (the connector opens later ones)
  caf::actor current_exchange; // the one opened last
  caf::actor venue;            // the exchange itself, with exchange_outlives_links
  int exchanges_opened = 0;

private:
  // Runs `ask(self, dest)` in a short-lived actor, then the system until it
  // is quiet. `dest` goes in as the actor's argument: CAF 0.17's spawn of a
  // function taking none trips UBSan (a null tuple in init_fun_factory).
  template <class Ask>
  void request_from(const caf::actor& dest, Ask ask) {
    sys->spawn([ask](caf::event_based_actor* self, const caf::actor& to) { ask(self, to); }, dest);
    run();
  }
  void start_node();
  std::shared_ptr<store> open_store() const;
  exchange_options exchange_settings() const;
  options opts_;
  std::shared_ptr<const market_calendar> calendar_;
};

} // namespace broker::sim
