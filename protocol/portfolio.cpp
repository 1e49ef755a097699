#include "protocol/portfolio.hpp"

#include <set>

namespace broker {

namespace {

money divide_rounded(__int128 num, int64_t den) {
  if (den == 0)
    return 0;
  __int128 half = den / 2;
  return static_cast<money>(num >= 0 ? (num + half) / den : (num - half) / den);
}

} // namespace

portfolio_value value_portfolio(const account_holdings& a,
                                const std::function<std::optional<quote>(const std::string&)>& price_of) {
  portfolio_value out;
  out.cash = a.cash;
  out.charges_paid = a.charges_paid;
  std::map<std::string, const holding*> held;
  for (auto& h : a.holdings)
    if (h.quantity > 0)
      held[h.symbol] = &h;
  std::set<std::string> symbols;
  for (auto& [s, _] : held)
    symbols.insert(s);
  for (auto& [s, _] : a.today)
    symbols.insert(s);

  for (auto& symbol : symbols) {
    auto hit = held.find(symbol);
    const holding* h = hit == held.end() ? nullptr : hit->second;
    int64_t quantity = h ? h->quantity : 0;
    money invested = h ? h->cost_basis : 0;
    money average = quantity > 0 ? divide_rounded(invested, quantity) : 0;
    auto q = price_of(symbol);
    money ltp = q && q->ltp > 0 ? q->ltp : average;
    money prev_close = q && q->prev_close > 0 ? q->prev_close : ltp;

    day_position day;
    if (auto it = a.today.find(symbol); it != a.today.end())
      day = it->second;
    int64_t opening = quantity - day.bought_quantity + day.sold_quantity;
    money day_pnl = quantity * ltp - opening * prev_close - day.bought_value + day.sold_value;
    out.day_pnl += day_pnl;

    if (h) {
      holding_value v;
      v.symbol = symbol;
      v.quantity = quantity;
      v.held_quantity = h->held_quantity;
      v.invested = invested;
      v.average_cost = average;
      v.ltp = ltp;
      v.prev_close = prev_close;
      v.value = quantity * ltp;
      v.unrealized = v.value - invested;
      v.unrealized_bp = invested > 0 ? divide_rounded(static_cast<__int128>(v.unrealized) * 10000, invested) : 0;
      v.day_change = day_pnl;
      money opening_value = opening * prev_close + day.bought_value;
      v.day_change_bp = opening_value > 0 ? divide_rounded(static_cast<__int128>(day_pnl) * 10000, opening_value) : 0;
      if (auto it = a.realized.find(symbol); it != a.realized.end())
        v.realized = it->second;
      out.holdings_value += v.value;
      out.invested += invested;
      out.unrealized += v.unrealized;
      out.holdings.push_back(std::move(v));
    }
    if (day.bought_quantity > 0 || day.sold_quantity > 0) {
      position_value p;
      p.symbol = symbol;
      p.day = day;
      p.net_quantity = day.bought_quantity - day.sold_quantity;
      p.day_pnl = day_pnl;
      out.positions.push_back(std::move(p));
    }
  }
  for (auto& [_, r] : a.realized)
    out.realized += r;
  out.total_pnl = out.realized + out.unrealized;
  out.net_worth = a.cash.available + a.cash.held + out.holdings_value;
  return out;
}

std::vector<day_value> value_days(const std::vector<day_holdings>& days,
                                  const std::function<money(const std::string&, int64_t)>& close_of) {
  std::vector<day_value> out;
  out.reserve(days.size());
  for (auto& d : days) {
    day_value v;
    v.day = d.day;
    v.cash = d.cash;
    for (auto& [symbol, quantity] : d.quantities)
      v.holdings_value += quantity * close_of(symbol, d.day);
    v.value = v.cash + v.holdings_value;
    out.push_back(v);
  }
  return out;
}

} // namespace broker
