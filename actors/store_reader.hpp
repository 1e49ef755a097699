#pragma once
// The store reader: answers the questions the in-memory books can't, from the
// store (charts of past trading days). It runs on a thread of its own
// (caf::detached): a read may take milliseconds, or a network round trip to
// PostgreSQL, and must block neither an I/O thread nor an actor worker.
//
// Speaks: (candles_atom, symbol, from, to) -> vector<candle>, one symbol's
// stored one-minute candles starting in [from, to); a failed read is
// storage_unavailable.
#include <memory>

#include <caf/fwd.hpp>

#include "storage/store.hpp"

namespace broker {

// `detached`: false on the deterministic test scheduler, which would still
// give a detached actor a real thread.
caf::actor spawn_store_reader(caf::actor_system& sys, std::shared_ptr<store> db, bool detached);

} // namespace broker
