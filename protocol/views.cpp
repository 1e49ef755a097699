#include "protocol/views.hpp"

namespace broker {

void write_order(json_writer& w, const order& o) {
  w.begin_object()
    .field("orderId", std::to_string(o.id))
    .field("symbol", o.symbol)
    .field("side", to_string(o.side))
    .field("orderType", to_string(o.type))
    .field("validity", to_string(o.validity))
    .field("quantity", o.quantity);
  if (o.type == order_type::limit || o.type == order_type::stop_limit)
    w.money_field("price", o.price);
  if (o.type == order_type::stop_limit || o.type == order_type::stop_market)
    w.money_field("triggerPrice", o.trigger_price);
  w.field("status", to_string(o.status))
    .field("filledQuantity", o.filled_quantity)
    .field("pendingQuantity", o.leaves_quantity());
  if (o.filled_quantity > 0) // exact to the paisa, rounded down
    w.money_field("averagePrice", o.filled_value / o.filled_quantity);
  if (o.filled_quantity > 0)
    w.money_field("charges", o.fees);
  if (!o.exchange_order_id.empty())
    w.field("exchangeOrderId", o.exchange_order_id);
  if (!o.reject_message.empty())
    w.field("statusMessage", o.reject_message);
  w.time_field("createdAt", o.created_at).time_field("updatedAt", o.updated_at).end_object();
}

void write_balance(json_writer& w, const cash_balance& c) {
  w.begin_object()
    .money_field("available", c.available)
    .money_field("held", c.held)
    .money_field("total", c.available + c.held)
    .money_field("unsettled", c.unsettled)
    .money_field("withdrawable", c.withdrawable)
    .end_object();
}

void write_charges(json_writer& w, const fee_breakdown& f) {
  w.begin_object()
    .money_field("brokerage", f.brokerage)
    .money_field("stt", f.stt)
    .money_field("exchangeCharges", f.exchange)
    .money_field("sebiFees", f.sebi)
    .money_field("stampDuty", f.stamp)
    .money_field("gst", f.gst)
    .money_field("total", f.total())
    .end_object();
}

void write_journal_entry(json_writer& w, const journal_entry& e) {
  // The user's side of the entry; the house legs are the other half.
  money cash = e[ledger_account::user_cash];
  money unsettled = e[ledger_account::user_unsettled];
  money held = e[ledger_account::user_held];
  w.begin_object()
    .field("id", std::to_string(e.id))
    .field("type", to_string(e.kind))
    .field("reference", e.reference)
    .money_field("amount", cash + unsettled + held) // what the user's total changed by
    .money_field("cash", cash)
    .money_field("unsettled", unsettled)
    .money_field("held", held)
    .money_field("charges", e[ledger_account::house_fees] + e[ledger_account::statutory_charges])
    .time_field("timestamp", e.at)
    .end_object();
}

void write_trade(json_writer& w, const std::string& symbol, side s, const execution_report& x,
                 const fee_breakdown& f) {
  money value = x.last_quantity * x.last_price;
  w.begin_object()
    .field("tradeId", x.exec_id)
    .field("orderId", std::to_string(x.client_order_id))
    .field("symbol", symbol)
    .field("side", to_string(s))
    .field("quantity", x.last_quantity)
    .money_field("price", x.last_price)
    .money_field("value", value)
    .key("charges");
  write_charges(w, f);
  w.money_field("netAmount", s == side::buy ? -(value + f.total()) : value - f.total())
    .time_field("timestamp", x.time)
    .end_object();
}

void write_quote(json_writer& w, const quote& q, quote_mode mode, std::optional<bool> stale) {
  w.begin_object()
    .field("symbol", q.symbol)
    .money_field("ltp", q.ltp)
    .money_field("change", q.change())
    .money_field("changePercent", q.change_basis_points()); // two decimals, like money
  if (mode != quote_mode::ltp) {
    w.money_field("open", q.open)
      .money_field("high", q.high)
      .money_field("low", q.low)
      .money_field("prevClose", q.prev_close)
      .field("volume", q.volume);
  }
  if (mode == quote_mode::full) {
    // An empty side of the book is null, not 0.00.
    w.key("bid");
    q.bid > 0 ? w.money_value(q.bid) : w.null();
    w.key("ask");
    q.ask > 0 ? w.money_value(q.ask) : w.null();
  }
  if (q.time > 0)
    w.time_field("timestamp", q.time);
  else
    w.key("timestamp").null();
  if (stale)
    w.field("stale", *stale);
  w.end_object();
}

void write_alert(json_writer& w, const price_alert& a) {
  w.begin_object()
    .field("alertId", std::to_string(a.id))
    .field("symbol", a.symbol)
    .field("condition", to_string(a.condition))
    .money_field("price", a.price)
    .field("status", to_string(a.status));
  if (a.status == alert_status::triggered)
    w.money_field("triggeredPrice", a.triggered_price).time_field("triggeredAt", a.updated_at);
  w.time_field("createdAt", a.created_at).end_object();
}

void write_instrument(json_writer& w, const instrument& i) {
  w.begin_object()
    .field("symbol", i.symbol)
    .field("name", i.name)
    .money_field("tickSize", i.tick_size)
    .field("lotSize", i.lot_size)
    .money_field("lowerBand", i.lower_band())
    .money_field("upperBand", i.upper_band())
    .end_object();
}

void write_profile(json_writer& w, const user_profile& p) {
  w.begin_object()
    .field("userId", std::to_string(p.id))
    .field("email", p.email)
    .field("name", p.name)
    .field("phone", p.phone)
    .field("kycStatus", to_string(p.kyc));
  if (!p.kyc_reason.empty())
    w.field("kycReason", p.kyc_reason);
  w.field("tradingBlocked", p.trading_blocked).time_field("createdAt", p.created_at).end_object();
}

void write_transfer(json_writer& w, const transfer& t) {
  w.begin_object()
    .field("transferId", std::to_string(t.id))
    .field("type", to_string(t.kind))
    .money_field("amount", t.amount)
    .field("status", to_string(t.status));
  if (!t.gateway_reference.empty())
    w.field("reference", t.gateway_reference);
  if (!t.failure_reason.empty())
    w.field("reason", t.failure_reason);
  w.time_field("createdAt", t.created_at).end_object();
}

std::string error_body(std::string_view code, std::string_view message, std::string_view field) {
  json_writer w;
  w.begin_object().key("error").begin_object().field("code", code).field("message", message);
  if (field.empty())
    w.key("field").null();
  else
    w.field("field", field);
  w.end_object().end_object();
  return w.take();
}

} // namespace broker

namespace broker {

static void write_holding_value(json_writer& w, const holding_value& h) {
  w.begin_object()
    .field("symbol", h.symbol)
    .field("quantity", h.quantity)
    .field("heldQuantity", h.held_quantity)
    .money_field("averageCost", h.average_cost)
    .money_field("invested", h.invested)
    .money_field("lastPrice", h.ltp)
    .money_field("prevClose", h.prev_close)
    .money_field("currentValue", h.value)
    .money_field("unrealizedPnl", h.unrealized)
    .money_field("unrealizedPnlPercent", h.unrealized_bp)
    .money_field("dayChange", h.day_change)
    .money_field("dayChangePercent", h.day_change_bp)
    .money_field("realizedPnl", h.realized)
    .end_object();
}

static void write_position(json_writer& w, const position_value& p) {
  w.begin_object()
    .field("symbol", p.symbol)
    .field("boughtQuantity", p.day.bought_quantity)
    .money_field("boughtValue", p.day.bought_value)
    .field("soldQuantity", p.day.sold_quantity)
    .money_field("soldValue", p.day.sold_value)
    .field("netQuantity", p.net_quantity)
    .money_field("realizedPnl", p.day.realized)
    .money_field("dayPnl", p.day_pnl)
    .money_field("charges", p.day.charges)
    .end_object();
}

static void write_totals(json_writer& w, const portfolio_value& p) {
  w.money_field("currentValue", p.holdings_value)
    .money_field("invested", p.invested)
    .money_field("cash", p.cash.available + p.cash.held)
    .money_field("availableCash", p.cash.available)
    .money_field("netWorth", p.net_worth)
    .money_field("dayPnl", p.day_pnl)
    .money_field("unrealizedPnl", p.unrealized)
    .money_field("realizedPnl", p.realized)
    .money_field("totalPnl", p.total_pnl)
    .money_field("chargesPaid", p.charges_paid);
}

void write_portfolio(json_writer& w, const portfolio_value& p, portfolio_parts parts) {
  w.begin_object();
  if (parts.holdings) {
    w.key("holdings").begin_array();
    for (auto& h : p.holdings)
      write_holding_value(w, h);
    w.end_array();
  }
  if (parts.positions) {
    w.key("positions").begin_array();
    for (auto& pos : p.positions)
      write_position(w, pos);
    w.end_array();
  }
  if (parts.totals)
    write_totals(w, p);
  w.end_object();
}

void write_notification(json_writer& w, const notification& n) {
  w.begin_object()
    .field("id", std::to_string(n.id))
    .field("type", to_string(n.kind))
    .field("message", n.message)
    .field("reference", n.reference)
    .field("read", n.read)
    .time_field("timestamp", n.at)
    .end_object();
}

void write_watchlist(json_writer& w, const watchlist& l) {
  w.begin_object().field("id", std::to_string(l.id)).field("name", l.name).key("symbols").begin_array();
  for (auto& s : l.symbols)
    w.value(s);
  w.end_array().time_field("createdAt", l.created_at).time_field("updatedAt", l.updated_at).end_object();
}

void write_tax_report(json_writer& w, const tax_report& r) {
  w.begin_object()
    .field("year", r.year)
    .field("from", r.from_date)
    .field("to", r.to_date)
    .money_field("shortTermGain", r.short_term_gain)
    .money_field("longTermGain", r.long_term_gain)
    .money_field("totalGain", r.short_term_gain + r.long_term_gain)
    .money_field("proceeds", r.proceeds)
    .money_field("cost", r.cost)
    .key("lots")
    .begin_array();
  for (auto& line : r.lines) {
    auto& l = line.lot;
    w.begin_object()
      .field("symbol", l.symbol)
      .field("quantity", l.quantity)
      .time_field("boughtAt", l.acquired_at)
      .time_field("soldAt", l.sold_at)
      .field("holdingDays", line.holding_days)
      .field("term", to_string(line.term))
      .money_field("cost", l.cost)
      .money_field("proceeds", l.proceeds)
      .money_field("gain", l.gain())
      .field("buyTradeId", l.buy_ref)
      .field("sellTradeId", l.sell_ref)
      .end_object();
  }
  w.end_array().end_object();
}

} // namespace broker
