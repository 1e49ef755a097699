#pragma once
// Cost-basis lots: the shares of each buy fill are a lot; a sale consumes
// lots oldest first (FIFO) or newest first (LIFO) and realizes a gain per lot
// it touches. Pure and deterministic: the account replays its trades through
// a lot_book at start, and the tax report replays them again from the store.
//
// Invariant (audit()): per symbol, the cached quantity and cost equal the sums
// over its lots; every lot has quantity > 0 and cost >= 0.
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

enum class cost_basis_method : uint8_t { fifo, lifo };
std::string_view to_string(cost_basis_method m); // "FIFO" / "LIFO"
std::optional<cost_basis_method> parse_cost_basis_method(std::string_view s);

// Shares bought in one fill (or an opening position of unknown origin), still owned.
struct open_lot {
  std::string ref;          // what created it, e.g. the execution id
  timestamp acquired_at = 0;
  int64_t quantity = 0;     // > 0
  money cost = 0;           // total cost of these `quantity` shares (>= 0)
};

// Part of a sale matched against one lot.
struct realized_lot {
  std::string symbol;
  std::string buy_ref, sell_ref;
  timestamp acquired_at = 0, sold_at = 0;
  int64_t quantity = 0;
  money cost = 0;      // the consumed part of the lot's cost
  money proceeds = 0;  // quantity * sell price
  money gain() const { return proceeds - cost; }
};

class lot_book {
public:
  explicit lot_book(cost_basis_method m = cost_basis_method::fifo) : method_(m) {}
  // A buy fill: appends a lot with cost = quantity * price.
  void buy(const std::string& symbol, int64_t quantity, money price, timestamp at, std::string ref);
  // A lot with a known total cost but no per-share price (positions from before lots were kept).
  void add_lot(const std::string& symbol, open_lot lot);
  // A sell fill: consumes `quantity` shares and returns one realized_lot per
  // lot touched, in consumption order. Aborts if more is sold than owned.
  // A partly consumed lot gives up cost * take / quantity (rounded down) and
  // keeps the rest, so a lot's slices add up to its cost exactly.
  std::vector<realized_lot> sell(const std::string& symbol, int64_t quantity, money price,
                                 timestamp at, const std::string& ref);
  int64_t quantity(const std::string& symbol) const;
  money cost(const std::string& symbol) const;
  const std::deque<open_lot>& lots(const std::string& symbol) const; // empty if none
  std::vector<std::string> symbols() const;                          // sorted
  cost_basis_method method() const { return method_; }
  void audit() const;

private:
  struct position {
    std::deque<open_lot> lots; // in acquisition order
    int64_t quantity = 0;
    money cost = 0;
  };
  cost_basis_method method_;
  std::map<std::string, position> by_symbol_;
};

} // namespace broker
