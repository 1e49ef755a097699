#pragma once
// Symbol actors: one per instrument, spawned at start for every instrument so
// each one records its session from the open, watched or not. A symbol actor
// folds every tick into its quote at once but pushes to its subscribers at
// most once per conflation interval, with the latest quote: a feed of
// thousands of ticks a second becomes at most 1/interval pushes.
//
// Speaks: (ticks_atom, vector<tick>) from the connector; (watch_atom, actor) /
// (unwatch_atom, actor) from sessions, answered by pushes (push_atom, quote),
// the first one at once; (quote_atom) -> quote.
#include <chrono>
#include <map>
#include <memory>
#include <string>

#include <caf/actor.hpp>
#include <caf/fwd.hpp>

#include "protocol/instruments.hpp"

namespace broker {

struct symbol_options {
  std::chrono::milliseconds conflation_interval{100};
};

// Every instrument's symbol actor, by symbol. Built once at start, read-only after.
using symbol_actors = std::map<std::string, caf::actor>;

std::shared_ptr<const symbol_actors> spawn_symbols(caf::actor_system& sys,
                                                   const instrument_table& instruments,
                                                   symbol_options opts);

} // namespace broker
