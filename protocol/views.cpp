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
