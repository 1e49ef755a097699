#pragma once
// One deterministic simulation run (what broker-sim runs per seed): the real
// node on the deterministic scheduler (sim/deterministic_node.hpp), its store
// on a simulated disk that loses what was never synced when the node crashes,
// N simulated users who sign up, pass KYC, deposit, withdraw, place every
// order type and validity, cancel, set alerts and read their books with
// seeded think times over a simulated trading day, some of them keeping a
// WebSocket open on their orders and a few symbols' quotes; seeded faults;
// and the invariants (sim/invariants.hpp) checked as it goes. Everything
// random comes from the seed; time is virtual. The same seed gives the same
// digest of the final books, on any machine.
//
// The exchange is one for the whole run, outliving links and crashes, as a
// real one does; at the end, faults off, the books are held against its
// records, and each open WebSocket's view of its orders against the books.
// Faults, each drawn with its probability:
//   store-fail          a commit fails (the store answers as a full disk would)
//   store-stall         the store is locked for 1-20 s: every commit meanwhile fails busy
//   exchange-reject     the exchange refuses a new order
//   exchange-duplicate  an execution report arrives twice
//   exchange-reorder    a report is overtaken by the next one
//   exchange-delay      a report arrives up to 3 s late
//   exchange-drop       the exchange link dies (the connector reopens and reconciles)
//   account-kill        an account actor is killed in the middle of a batch of
//                       messages; its directory reloads it from the store
//   symbol-kill         a symbol actor is killed likewise; its supervisor spawns it
//                       again with its quote, candles and the store's active alerts
//   slow-client         a WebSocket client stops reading for 3-40 s: its session
//                       must stop writing quotes to it and close it (1013) past 10 s
//   crash               the whole node dies at once (the power with it) and
//                       restarts from what its store had synced
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "protocol/types.hpp"

namespace broker::sim {

struct simulation_config {
  uint64_t seed = 1;
  size_t users = 100;
  std::chrono::nanoseconds duration = std::chrono::hours{26}; // Monday 09:00 IST on: a day, T+1 included
  std::chrono::nanoseconds think_time = std::chrono::minutes{5}; // mean, between a user's actions
  std::chrono::nanoseconds check_every = std::chrono::minutes{30}; // full invariant checks
  std::set<std::string> faults;                                 // fault_names()
  std::filesystem::path work_dir;                               // the run's SQLite file goes here
  std::string instruments_csv;
  bool trace = false;                                           // every event to stdout as it happens
  // Called now and then with the fraction of simulated time done.
  std::function<void(double done)> progress;
};

// The names --faults takes.
const std::vector<std::string>& fault_names();

struct simulation_result {
  bool ok = true;
  std::string failure;                  // the first broken invariant, when not ok
  std::deque<std::string> last_events;  // what led to it (the last few events)
  std::string digest;                   // of the final books (sim/state_digest.hpp)
  uint64_t events = 0;                  // user actions
  std::map<std::string, uint64_t> actions;   // by kind: "order", "cancel", ...
  std::map<std::string, uint64_t> refusals;  // by reason code
  uint64_t orders = 0, fills = 0;       // in the final books
  std::map<std::string, uint64_t> faults; // injected, by kind
  uint64_t invariant_checks = 0;
  uint64_t unsynced_writes_lost = 0;     // by the crashes, on the simulated disk
  double simulated_seconds = 0, wall_seconds = 0;
};

simulation_result run_simulation(const simulation_config& cfg);

} // namespace broker::sim
