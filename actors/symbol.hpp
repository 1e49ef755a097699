#pragma once
// Symbol actors: one per instrument, spawned at start for every instrument so
// each one records its session from the open, watched or not. A symbol actor
// folds every tick into its quote at once and publishes the quote to the
// node's latest_quotes after each batch; it sends nothing to the sessions
// that follow it. They read the latest quote once per conflation interval,
// woken by a quote_fanout: a feed of thousands of ticks a second becomes at
// most 1/interval updates per client (see latest_quotes.hpp, quote_fanout.hpp).
//
// It also builds one-minute candles from trades, writes each one behind to
// persistence as its minute ends, and keeps the trading day's candles to
// answer chart requests; a new trading day starts a new session (prev close =
// the last price, open/high/low/volume reset).
//
// Speaks: (ticks_atom, vector<tick>) from the connector; (quote_atom) -> quote;
// (candles_atom, from, to) -> vector<candle>, the one-minute candles starting
// in [from, to); the price-alert trigger book (alert_atom, unalert_atom;
// (alerts_atom) -> the armed alerts as (user, id) pairs).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/latest_quotes.hpp"
#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"
#include "protocol/market_data.hpp"

namespace broker {

// Node-wide market data counters, for /v1/metrics and load tests. Relaxed
// atomics: each symbol actor adds once per batch or push round, not per tick.
struct market_counters {
  std::atomic<uint64_t> ticks_ingested{0};
  std::atomic<uint64_t> quote_pushes{0}; // quotes written to clients (each symbol of a frame)
};

struct symbol_options {
  // How often sessions send what changed (the quote_fanout's beat).
  std::chrono::milliseconds conflation_interval{100};
  std::shared_ptr<market_counters> counters; // null: not counted
  std::shared_ptr<actor_census> census;      // null: not enrolled
};

// Every instrument's symbol actor, by symbol. The set of symbols is fixed at
// start; the actor of one may be replaced (its supervisor respawns one that
// died), so a handle is looked up each time it is used.
class symbol_actors {
public:
  // Invalid for a symbol not traded here.
  caf::actor of(const std::string& symbol) const;
  bool trades(const std::string& symbol) const;
  std::vector<caf::actor> all() const;
  // The supervisor only: `symbol`'s actor from now on.
  void put(const std::string& symbol, caf::actor a);
  caf::actor supervisor; // set once by spawn_symbols
  uint64_t restarts() const;

private:
  mutable std::mutex mutex_;
  std::map<std::string, caf::actor> actors_;
  uint64_t restarts_ = 0;
};

// `today` are the stored one-minute candles of the current trading day (any
// symbols, by symbol then start): a restart mid-session picks up the day.
// The symbol actors are linked to a supervisor: one that dies of anything but
// the node stopping is spawned again, carrying on from the quote it last
// published, with today's candles and the active alerts of its symbol read
// from the store (through `store_reader`). Send the supervisor
// (account_atom, directory) as each symbol actor is sent it.
std::shared_ptr<const symbol_actors> spawn_symbols(caf::actor_system& sys,
                                                   const instrument_table& instruments,
                                                   std::shared_ptr<const market_calendar> calendar,
                                                   caf::actor persistence, caf::actor store_reader,
                                                   std::vector<candle> today,
                                                   std::shared_ptr<latest_quotes> board,
                                                   symbol_options opts);

} // namespace broker
