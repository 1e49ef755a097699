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
    .money_field("withdrawable", c.available)
    .end_object();
}

void write_quote(json_writer& w, const quote& q, quote_mode mode) {
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
  w.time_field("createdAt", p.created_at).end_object();
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
