#include "protocol/market_data.hpp"

#include <algorithm>

namespace broker {

int64_t quote::change_basis_points() const {
  if (prev_close <= 0)
    return 0;
  // |change| <= ltp fits easily: prices are below 1e12 paise, times 1e4.
  int64_t scaled = change() * 10'000;
  int64_t q = scaled / prev_close, r = scaled % prev_close;
  if (2 * (r < 0 ? -r : r) >= prev_close)
    q += scaled < 0 ? -1 : 1;
  return q;
}

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
