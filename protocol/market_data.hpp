#pragma once
// Market data nouns: the exchange's ticks and the quote a symbol actor keeps
// from them. Prices in minor units like all money; times from the exchange's
// (injected) clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/types.hpp"

namespace broker {

// One event of the exchange feed: a trade (last_quantity > 0), or a change of
// the top of the book (last_quantity == 0). Both carry the top of the book
// after the event; 0 means that side is empty.
struct tick {
  std::string symbol;
  timestamp exchange_time = 0;
  money last_price = 0;
  int64_t last_quantity = 0;
  money bid = 0;
  money ask = 0;
};

// What a symbol actor knows about its instrument. Before the first trade of
// the session ltp is the previous close and open/high/low are 0.
struct quote {
  std::string symbol;
  money ltp = 0;
  money open = 0;
  money high = 0;
  money low = 0;
  money prev_close = 0;
  int64_t volume = 0; // shares traded this session
  money bid = 0;
  money ask = 0;
  timestamp time = 0; // exchange time of the last tick applied

  money change() const { return ltp - prev_close; }
  // Hundredths of a percent, rounded half away from zero (62 = 0.62 %).
  int64_t change_basis_points() const;
};

// Folds one tick into the quote: trades move ltp, open/high/low and volume;
// every tick sets the top of the book.
void apply_tick(quote& q, const tick& t);

// How much of a quote a subscriber wants pushed.
enum class quote_mode : uint8_t { ltp, quote, full };
std::string_view to_string(quote_mode m);
std::optional<quote_mode> parse_quote_mode(std::string_view s);

} // namespace broker
