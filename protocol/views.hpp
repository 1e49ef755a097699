#pragma once
#include <optional>
// How domain objects look in JSON, written once for the REST responses and the
// WebSocket pushes alike.
#include "protocol/alerts.hpp"
#include "protocol/fees.hpp"
#include "protocol/ledger.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/market_data.hpp"
#include "protocol/notifications.hpp"
#include "protocol/portfolio.hpp"
#include "protocol/reject_reason.hpp"
#include "protocol/tax_report.hpp"
#include "protocol/types.hpp"
#include "protocol/watchlists.hpp"

namespace broker {

void write_order(json_writer& w, const order& o);
void write_balance(json_writer& w, const cash_balance& c);
void write_charges(json_writer& w, const fee_breakdown& f);
// One cash movement as the user sees it: their accounts' legs and the total.
void write_journal_entry(json_writer& w, const journal_entry& e);
// One fill with its charges; netAmount is what it did to the user's cash.
void write_trade(json_writer& w, const std::string& symbol, side s, const execution_report& x,
                 const fee_breakdown& f);
void write_profile(json_writer& w, const user_profile& p);
void write_transfer(json_writer& w, const transfer& t);
// ltp: symbol, ltp, change, changePercent, timestamp; quote: + open, high,
// low, prevClose, volume; full: + bid, ask.
// `stale`, when given, is written as "stale": true while the exchange's market
// data has stopped and the quote is its last known.
void write_quote(json_writer& w, const quote& q, quote_mode mode, std::optional<bool> stale = std::nullopt);
void write_instrument(json_writer& w, const instrument& i);
void write_alert(json_writer& w, const price_alert& a);
// Holdings marked to market, today's positions, and/or the totals.
struct portfolio_parts {
  bool holdings = true;
  bool positions = true;
  bool totals = true;
};
void write_portfolio(json_writer& w, const portfolio_value& p, portfolio_parts parts = {});
void write_notification(json_writer& w, const notification& n);
void write_watchlist(json_writer& w, const watchlist& l);
// Capital gains lot by lot, with short- and long-term totals.
void write_tax_report(json_writer& w, const tax_report& r);
// {"error":{"code":...,"message":...,"field":...}}
std::string error_body(std::string_view code, std::string_view message, std::string_view field);

} // namespace broker
