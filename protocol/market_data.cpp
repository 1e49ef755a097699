#include "protocol/market_data.hpp"

#include <algorithm>

namespace broker {

int64_t change_basis_points(money now, money before) {
  if (before <= 0)
    return 0;
  // |now - before| stays below 1e12 paise, times 1e4: far from overflow.
  int64_t scaled = (now - before) * 10'000;
  int64_t q = scaled / before, r = scaled % before;
  if (2 * (r < 0 ? -r : r) >= before)
    q += scaled < 0 ? -1 : 1;
  return q;
}

int64_t quote::change_basis_points() const { return broker::change_basis_points(ltp, prev_close); }

void apply_tick(quote& q, const tick& t) {
  if (t.last_quantity > 0) {
    q.ltp = t.last_price;
    if (q.open == 0)
      q.open = q.high = q.low = t.last_price;
    q.high = std::max(q.high, t.last_price);
    q.low = std::min(q.low, t.last_price);
    q.volume += t.last_quantity;
  }
  q.bid = t.bid;
  q.ask = t.ask;
  q.time = std::max(q.time, t.exchange_time);
}

void add_trade(candle& c, money price, int64_t quantity) {
  if (c.volume == 0 && c.open == 0) {
    c.open = c.high = c.low = price;
  }
  c.high = std::max(c.high, price);
  c.low = std::min(c.low, price);
  c.close = price;
  c.volume += quantity;
}

std::optional<int64_t> parse_candle_interval(std::string_view s) {
  if (s == "1m")
    return ns_per_minute;
  if (s == "5m")
    return 5 * ns_per_minute;
  if (s == "15m")
    return 15 * ns_per_minute;
  if (s == "1h")
    return 60 * ns_per_minute;
  if (s == "1d")
    return 1440 * ns_per_minute;
  return std::nullopt;
}

std::vector<candle> aggregate(const std::vector<candle>& minutes, int64_t interval,
                              timestamp origin) {
  std::vector<candle> out;
  for (auto& m : minutes) {
    int64_t offset = m.start - origin;
    int64_t bucket = offset >= 0 ? offset / interval : (offset - interval + 1) / interval;
    timestamp start = origin + bucket * interval;
    if (out.empty() || out.back().start != start) {
      candle c = m;
      c.start = start;
      out.push_back(c);
      continue;
    }
    candle& c = out.back();
    c.high = std::max(c.high, m.high);
    c.low = std::min(c.low, m.low);
    c.close = m.close;
    c.volume += m.volume;
  }
  return out;
}

std::string_view to_string(quote_mode m) {
  switch (m) {
    case quote_mode::ltp: return "ltp";
    case quote_mode::quote: return "quote";
    case quote_mode::full: return "full";
  }
  return "ltp";
}

std::optional<quote_mode> parse_quote_mode(std::string_view s) {
  if (s == "ltp")
    return quote_mode::ltp;
  if (s == "quote")
    return quote_mode::quote;
  if (s == "full")
    return quote_mode::full;
  return std::nullopt;
}

} // namespace broker
