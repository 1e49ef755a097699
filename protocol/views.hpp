#pragma once
// How domain objects look in JSON, written once for the REST responses and the
// WebSocket pushes alike.
#include "protocol/alerts.hpp"
#include "protocol/json_writer.hpp"
#include "protocol/market_data.hpp"
#include "protocol/reject_reason.hpp"
#include "protocol/types.hpp"

namespace broker {

void write_order(json_writer& w, const order& o);
void write_balance(json_writer& w, const cash_balance& c);
void write_profile(json_writer& w, const user_profile& p);
void write_transfer(json_writer& w, const transfer& t);
// ltp: symbol, ltp, change, changePercent, timestamp; quote: + open, high,
// low, prevClose, volume; full: + bid, ask.
void write_quote(json_writer& w, const quote& q, quote_mode mode);
void write_instrument(json_writer& w, const instrument& i);
void write_alert(json_writer& w, const price_alert& a);
// {"error":{"code":...,"message":...,"field":...}}
std::string error_body(std::string_view code, std::string_view message, std::string_view field);

} // namespace broker
