#pragma once
// The market board: follows every symbol actor like a session does and keeps
// the latest quote of each, to answer market-wide questions at once: top
// gainers and losers, and index levels from their constituents.
//
// Speaks: (movers_atom, bool gainers, int64_t limit) -> vector<quote>, by
// change percent (ties by symbol); (indices_atom) -> vector<index_value>.
#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/symbol.hpp"
#include "protocol/indices.hpp"

namespace broker {

caf::actor spawn_market_board(caf::actor_system& sys, std::shared_ptr<const symbol_actors> symbols,
                              std::vector<index_definition> indices);

} // namespace broker
