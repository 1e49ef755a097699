#pragma once
// Market data nouns: the exchange's ticks and the quote a symbol actor keeps
// from them. Prices in minor units like all money; times from the exchange's
// (injected) clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/civil_time.hpp"
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
  int64_t change_basis_points() const;
};

// (now - before) / before in hundredths of a percent, rounded half away from
// zero (62 = 0.62 %); 0 when there is no `before`. For quotes and indices alike.
int64_t change_basis_points(money now, money before);

// Folds one tick into the quote: trades move ltp, open/high/low and volume;
// every tick sets the top of the book.
void apply_tick(quote& q, const tick& t);

// OHLCV over [start, start + interval). Built as one-minute candles from
// trades; longer intervals are aggregated from those.
struct candle {
  std::string symbol;
  timestamp start = 0;
  money open = 0;
  money high = 0;
  money low = 0;
  money close = 0;
  int64_t volume = 0;
};

// The one-minute candle a trade at `t` belongs to starts here.
inline timestamp minute_of(timestamp t) {
  return t >= 0 ? t - t % ns_per_minute : t - (t % ns_per_minute + ns_per_minute) % ns_per_minute;
}

// Adds a trade to `c` (a candle with volume 0 takes the trade as its open).
void add_trade(candle& c, money price, int64_t quantity);

// "1m", "5m", "15m", "1h", "1d" as nanoseconds; nullopt for anything else.
std::optional<int64_t> parse_candle_interval(std::string_view s);

// Groups one-minute candles (sorted by start) into candles of `interval`
// aligned to `origin` (a day's session start for "1d", so a day is one candle).
std::vector<candle> aggregate(const std::vector<candle>& minutes, int64_t interval, timestamp origin);

// How much of a quote a subscriber wants pushed.
enum class quote_mode : uint8_t { ltp, quote, full };
std::string_view to_string(quote_mode m);
std::optional<quote_mode> parse_quote_mode(std::string_view s);

} // namespace broker
