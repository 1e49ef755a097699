#pragma once
// The market board: answers market-wide questions from every symbol's latest
// quote (latest_quotes.hpp): top gainers and losers, and index levels from
// their constituents.
//
// Speaks: (movers_atom, bool gainers, int64_t limit) -> vector<quote>, by
// change percent (ties by symbol); (indices_atom) -> vector<index_value>.
#include <memory>
#include <vector>

#include <caf/fwd.hpp>

#include "actors/census.hpp"
#include "actors/latest_quotes.hpp"
#include "protocol/indices.hpp"

namespace broker {

caf::actor spawn_market_board(caf::actor_system& sys, std::shared_ptr<const latest_quotes> quotes,
                              std::vector<index_definition> indices,
                              std::shared_ptr<actor_census> census = nullptr);

} // namespace broker
