#include "protocol/lots.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#define LOTS_CHECK(cond, what)                                                  \
  do {                                                                          \
    if (!(cond)) {                                                              \
      std::fprintf(stderr, "lot book invariant violated: %s (%s)\n", what, #cond); \
      std::abort();                                                             \
    }                                                                           \
  } while (false)

namespace broker {

std::string_view to_string(cost_basis_method m) {
  return m == cost_basis_method::fifo ? "FIFO" : "LIFO";
}

std::optional<cost_basis_method> parse_cost_basis_method(std::string_view s) {
  if (s == "FIFO")
    return cost_basis_method::fifo;
  if (s == "LIFO")
    return cost_basis_method::lifo;
  return std::nullopt;
}

void lot_book::buy(const std::string& symbol, int64_t quantity, money price, timestamp at,
                   std::string ref) {
  LOTS_CHECK(quantity > 0 && price >= 0, "a buy adds a positive quantity at a price >= 0");
  money cost = 0;
  LOTS_CHECK(!__builtin_mul_overflow(quantity, price, &cost), "a lot's cost fits in 64 bits");
  add_lot(symbol, open_lot{std::move(ref), at, quantity, cost});
}

void lot_book::add_lot(const std::string& symbol, open_lot lot) {
  LOTS_CHECK(lot.quantity > 0 && lot.cost >= 0, "a lot has shares and a cost >= 0");
  auto& p = by_symbol_[symbol];
  LOTS_CHECK(!__builtin_add_overflow(p.quantity, lot.quantity, &p.quantity)
               && !__builtin_add_overflow(p.cost, lot.cost, &p.cost),
             "a symbol's totals fit in 64 bits");
  p.lots.push_back(std::move(lot));
}

std::vector<realized_lot> lot_book::sell(const std::string& symbol, int64_t quantity, money price,
                                         timestamp at, const std::string& ref) {
  auto it = by_symbol_.find(symbol);
  LOTS_CHECK(quantity > 0 && it != by_symbol_.end() && quantity <= it->second.quantity,
             "a sale takes a positive quantity no larger than what is owned");
  auto& p = it->second;
  std::vector<realized_lot> out;
  while (quantity > 0) {
    open_lot& lot = method_ == cost_basis_method::fifo ? p.lots.front() : p.lots.back();
    int64_t take = std::min(quantity, lot.quantity);
    money cost = take == lot.quantity
                   ? lot.cost
                   : static_cast<money>(static_cast<__int128>(lot.cost) * take / lot.quantity);
    money proceeds = 0;
    LOTS_CHECK(!__builtin_mul_overflow(take, price, &proceeds), "proceeds fit in 64 bits");
    out.push_back(realized_lot{symbol, lot.ref, ref, lot.acquired_at, at, take, cost, proceeds});
    lot.quantity -= take;
    lot.cost -= cost;
    p.quantity -= take;
    p.cost -= cost;
    quantity -= take;
    if (lot.quantity == 0) {
      LOTS_CHECK(lot.cost == 0, "an emptied lot has given up all its cost");
      if (method_ == cost_basis_method::fifo)
        p.lots.pop_front();
      else
        p.lots.pop_back();
    }
  }
  if (p.quantity == 0)
    by_symbol_.erase(it);
  return out;
}

int64_t lot_book::quantity(const std::string& symbol) const {
  auto it = by_symbol_.find(symbol);
  return it == by_symbol_.end() ? 0 : it->second.quantity;
}

money lot_book::cost(const std::string& symbol) const {
  auto it = by_symbol_.find(symbol);
  return it == by_symbol_.end() ? 0 : it->second.cost;
}

const std::deque<open_lot>& lot_book::lots(const std::string& symbol) const {
  static const std::deque<open_lot> none;
  auto it = by_symbol_.find(symbol);
  return it == by_symbol_.end() ? none : it->second.lots;
}

std::vector<std::string> lot_book::symbols() const {
  std::vector<std::string> out;
  for (auto& [s, _] : by_symbol_)
    out.push_back(s);
  return out;
}

void lot_book::audit() const {
  for (auto& [symbol, p] : by_symbol_) {
    int64_t q = 0;
    money c = 0;
    for (auto& lot : p.lots) {
      LOTS_CHECK(lot.quantity > 0 && lot.cost >= 0, "open lots have shares and a cost >= 0");
      q += lot.quantity;
      c += lot.cost;
    }
    LOTS_CHECK(q == p.quantity && c == p.cost, "cached totals equal the lots' sums");
    LOTS_CHECK(p.quantity > 0, "a symbol without shares has no entry");
  }
}

} // namespace broker
