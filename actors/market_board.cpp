#include "actors/market_board.hpp"
#include "actors/instrumented_behavior.hpp"

#include <algorithm>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace broker {

namespace {

struct board_state {
  std::shared_ptr<const latest_quotes> quotes;
  std::vector<index_definition> indices;
  static inline const char* name = "market_board";
};

using board_ptr = caf::stateful_actor<board_state>*;

// Every symbol's latest quote, by symbol.
std::map<std::string, quote> snapshot(const latest_quotes& board) {
  std::map<std::string, quote> out;
  for (size_t i = 0; i < board.size(); ++i)
    out.emplace(board.symbol_at(i), board.latest(i)->value());
  return out;
}

caf::behavior market_board(board_ptr self, std::shared_ptr<const latest_quotes> quotes,
                           std::vector<index_definition> indices,
                           std::shared_ptr<actor_census> census) {
  self->state.quotes = std::move(quotes);
  self->state.indices = std::move(indices);
  return instrumented(self, census, actor_kind::market_board, "", 0, {
    [=](movers_atom, bool gainers, int64_t limit) {
      std::vector<quote> all;
      for (auto& [_, q] : snapshot(*self->state.quotes))
        if (gainers ? q.change() > 0 : q.change() < 0) // a flat stock is neither
          all.push_back(q);
      std::stable_sort(all.begin(), all.end(), [gainers](const quote& a, const quote& b) {
        auto x = a.change_basis_points(), y = b.change_basis_points();
        return gainers ? x > y : x < y;
      });
      if (static_cast<int64_t>(all.size()) > limit)
        all.resize(static_cast<size_t>(limit));
      return all;
    },
    [=](indices_atom) {
      std::vector<index_value> out;
      auto quotes = snapshot(*self->state.quotes);
      for (auto& def : self->state.indices)
        out.push_back(compute_index(def, quotes));
      return out;
    },
  });
}

} // namespace

caf::actor spawn_market_board(caf::actor_system& sys, std::shared_ptr<const latest_quotes> quotes,
                              std::vector<index_definition> indices,
                              std::shared_ptr<actor_census> census) {
  return sys.spawn(market_board, std::move(quotes), std::move(indices), std::move(census));
}

} // namespace broker
