#pragma once
// Portfolio valuation: what an account holds (from its book) marked to the
// latest prices. Pure: the caller passes the prices, so the same figures come
// out for the REST view, the WebSocket push and a test.
//
// Day P&L per symbol is mark-to-market against the previous close:
//   quantity x ltp - opening_quantity x prev_close - bought_today + sold_today
// where opening_quantity = quantity - bought_today_qty + sold_today_qty (what
// was held at the open). So shares bought today count from their price, and
// shares sold today count until their sale.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "protocol/market_data.hpp"
#include "protocol/types.hpp"

namespace broker {

// Today's trading in one symbol.
struct day_position {
  int64_t bought_quantity = 0;
  money bought_value = 0;
  int64_t sold_quantity = 0;
  money sold_value = 0;
  money realized = 0; // gain of today's sales against their lots
  money charges = 0;
};

// What an account holds, as its book knows it.
struct account_holdings {
  std::vector<holding> holdings;               // quantity > 0 only
  std::map<std::string, money> realized;       // since the first trade, per symbol
  std::map<std::string, day_position> today;   // today's trading, per symbol
  cash_balance cash;
  money charges_paid = 0;                      // brokerage + statutory, all time
};

struct holding_value {
  std::string symbol;
  int64_t quantity = 0;
  int64_t held_quantity = 0; // reserved by working sell orders
  money invested = 0;        // cost of the open lots
  money average_cost = 0;    // invested / quantity, rounded to the paisa
  money ltp = 0;
  money prev_close = 0;
  money value = 0;           // quantity x ltp
  money unrealized = 0;      // value - invested
  int64_t unrealized_bp = 0; // hundredths of a percent of invested
  money day_change = 0;      // day P&L of this symbol (see above)
  int64_t day_change_bp = 0; // of the opening value
  money realized = 0;        // since the first trade
};

struct position_value {
  std::string symbol;
  day_position day;
  int64_t net_quantity = 0; // bought - sold today
  money day_pnl = 0;        // mark-to-market, as for holdings
};

struct portfolio_value {
  std::vector<holding_value> holdings; // by symbol
  std::vector<position_value> positions; // symbols traded today, by symbol
  cash_balance cash;
  money holdings_value = 0;
  money invested = 0;
  money unrealized = 0;
  money realized = 0;
  money day_pnl = 0;
  money total_pnl = 0;   // realized + unrealized (before charges)
  money charges_paid = 0;
  money net_worth = 0;   // cash (available + held) + holdings value
};

// One day of the performance series: what the account held at the end of a
// local day, and what that was worth at the day's closing prices.
struct day_holdings {
  int64_t day = 0;   // local day number
  money cash = 0;    // available + held at the end of the day
  std::map<std::string, int64_t> quantities; // shares owned at the end of the day
};

struct day_value {
  int64_t day = 0;
  money cash = 0;
  money holdings_value = 0;
  money value = 0; // cash + holdings_value
};

// Values each day's holdings at `close_of(symbol, day)`.
std::vector<day_value> value_days(const std::vector<day_holdings>& days,
                                  const std::function<money(const std::string&, int64_t)>& close_of);

// `price_of` gives a symbol's latest quote; a symbol without one is valued at
// its cost (ltp = average cost), so a missing price never invents a loss.
portfolio_value value_portfolio(const account_holdings& a,
                                const std::function<std::optional<quote>(const std::string&)>& price_of);

} // namespace broker
