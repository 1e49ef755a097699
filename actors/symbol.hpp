#pragma once
// Symbol actors: one per instrument, spawned at start for every instrument so
// each one records its session from the open, watched or not. A symbol actor
// folds every tick into its quote at once but pushes to its subscribers at
// most once per conflation interval, with the latest quote: a feed of
// thousands of ticks a second becomes at most 1/interval pushes.
//
// It also builds one-minute candles from trades, writes each one behind to
// persistence as its minute ends, and keeps the trading day's candles to
// answer chart requests; a new trading day starts a new session (prev close =
// the last price, open/high/low/volume reset).
//
// Speaks: (ticks_atom, vector<tick>) from the connector; (watch_atom, actor) /
// (unwatch_atom, actor) from sessions, answered by pushes (push_atom, quote),
// the first one at once; (quote_atom) -> quote; (candles_atom, from, to) ->
// vector<candle>, the one-minute candles starting in [from, to).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "protocol/instruments.hpp"
#include "protocol/market_calendar.hpp"
#include "protocol/market_data.hpp"

namespace broker {

// Node-wide market data counters, for /v1/metrics and load tests. Relaxed
// atomics: each symbol actor adds once per batch or push round, not per tick.
struct market_counters {
  std::atomic<uint64_t> ticks_ingested{0};
  std::atomic<uint64_t> quote_pushes{0}; // quotes sent to subscribers
};

struct symbol_options {
  std::chrono::milliseconds conflation_interval{100};
  std::shared_ptr<market_counters> counters; // null: not counted
};

// Every instrument's symbol actor, by symbol. Built once at start, read-only after.
using symbol_actors = std::map<std::string, caf::actor>;

// `today` are the stored one-minute candles of the current trading day (any
// symbols, by symbol then start): a restart mid-session picks up the day.
std::shared_ptr<const symbol_actors> spawn_symbols(caf::actor_system& sys,
                                                   const instrument_table& instruments,
                                                   std::shared_ptr<const market_calendar> calendar,
                                                   caf::actor persistence,
                                                   std::vector<candle> today, symbol_options opts);

} // namespace broker
