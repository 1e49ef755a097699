#pragma once
// FIX 4.4 on the order path, both ways: what brokerd's FIX link sends and
// reads, and what sim-exchange reads and sends. The tags and their values live
// here only. Money travels as exact decimals in the field's text ("2450.05"),
// never through QuickFIX's double-valued field classes.
//
//   broker -> exchange
//     NewOrderSingle (35=D)      ClOrdID = the broker's order id, Account = the user
//     OrderCancelRequest (F)     OrigClOrdID = the order, ClOrdID = "<order>-C<n>"
//     OrderStatusRequest (H)     ClOrdID = the order
//   exchange -> broker
//     ExecutionReport (8)        ExecType new, trade, canceled, rejected, expired, or
//                                order status (I, the answer to a status request)
//     OrderCancelReject (9)      the cancel lost: the order is unchanged
//
// The messages carry no header: the session fills in BeginString, the comp
// ids, the sequence number and the sending time when it sends them. So the
// same messages go on a FIX 4.2 session too (QuickFIX's ordermatch example
// speaks 4.2): a NewOrderSingle carries HandlInst, and a 4.2 ExecutionReport's
// ExecType 1 and 2 (partial fill, fill) read as trades.
#include <string>
#include <variant>

#include "protocol/types.hpp"

namespace FIX {
class Message;
}

namespace broker::fix {

// ---- what the broker sends -----------------------------------------------

FIX::Message new_order_single(const order& o, timestamp now);
// `attempt` numbers the cancel requests for one order (1, 2, ...): each needs
// a ClOrdID of its own.
FIX::Message order_cancel_request(const order& o, int64_t attempt, timestamp now);
FIX::Message order_status_request(order_id id, const std::string& symbol, user_id account, side s);

// An ExecutionReport or OrderCancelReject, as the broker applies it.
struct order_report {
  execution_report report; // kind cancel_rejected for an OrderCancelReject
  // ExecType=I: the answer to a status request, not an event. `status` is
  // then the order's state at the exchange (OrdStatus) and the report's
  // cum_quantity / leaves_quantity its totals.
  bool status_answer = false;
  order_status status = order_status::open;
  // OrdRejReason 5: the exchange does not know the order.
  bool unknown_order = false;
};
// An error names the tag that is missing or malformed. A report without
// Account (tag 1) comes back with account 0: the caller knows its orders.
std::variant<order_report, std::string> read_order_report(const FIX::Message& m);

// ---- what the exchange reads ----------------------------------------------

std::variant<order, std::string> read_new_order_single(const FIX::Message& m);

struct cancel_request {
  order_id id = 0;       // OrigClOrdID
  std::string cancel_id; // ClOrdID of the request itself
  std::string symbol;
  user_id account = 0;
  broker::side side = side::buy;
};
std::variant<cancel_request, std::string> read_cancel_request(const FIX::Message& m);

struct status_request {
  order_id id = 0;
  std::string symbol;
  user_id account = 0;
  broker::side side = side::buy;
};
std::variant<status_request, std::string> read_status_request(const FIX::Message& m);

// ---- what the exchange sends ----------------------------------------------

// What an ExecutionReport says beside its event: the order it is about.
struct order_facts {
  std::string symbol;
  broker::side side = side::buy;
  int64_t quantity = 0;
  money cum_value = 0; // fill quantity x price, summed: AvgPx = cum_value / cum_quantity
  order_status status = order_status::open; // after the event
  std::string cancel_id; // the cancel request's ClOrdID, when answering one
};

// An ExecutionReport for `r`, or an OrderCancelReject when r.kind is
// cancel_rejected. `status_answer`: ExecType=I, answering a status request.
FIX::Message report_message(const execution_report& r, const order_facts& f, bool status_answer = false);
// The answer to a status request about an order never received: OrdStatus
// rejected, OrdRejReason 5 (unknown order).
FIX::Message unknown_order_message(const status_request& q, const std::string& exec_id);

// BusinessMessageReject (35=j) of a message the application could not take:
// the sequence number and type it refers to, and why.
FIX::Message business_reject(const std::string& ref_seq_num, const std::string& ref_msg_type,
                             const std::string& why);

// "20261203-09:15:00.000", FIX's UTCTimestamp with milliseconds.
std::string utc_timestamp(timestamp t);

} // namespace broker::fix
