#pragma once
// The store reader: answers the questions the in-memory books can't, from the
// store (charts of past trading days). It runs on a thread of its own
// (caf::detached): a read may take milliseconds, or a network round trip to
// PostgreSQL, and must block neither an I/O thread nor an actor worker.
//
// Speaks: (candles_atom, symbol, from, to) -> vector<candle>, one symbol's
// stored one-minute candles starting in [from, to); (load_atom, user) ->
// account_seed_ptr, what the store holds of one account (null: no such
// user); (alerts_atom, symbol) -> vector<price_alert>, the symbol's active
// alerts. A failed read is storage_unavailable.
#include <memory>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/account_book.hpp"
#include "storage/store.hpp"

namespace broker {

using account_seed_ptr = std::shared_ptr<const account_seed>;

} // namespace broker

// Stays in the process: a seed goes from the store reader to the directory.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(broker::account_seed_ptr)

namespace broker {

// `detached`: false on the deterministic test scheduler, which would still
// give a detached actor a real thread.
caf::actor spawn_store_reader(caf::actor_system& sys, std::shared_ptr<store> db, bool detached,
                              std::shared_ptr<actor_census> census = nullptr);

} // namespace broker
