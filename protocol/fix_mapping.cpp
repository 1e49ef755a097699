#include "protocol/fix_mapping.hpp"

#include <charconv>
#include <cstdio>
#include <optional>

#include "protocol/civil_time.hpp"
#include "protocol/decimal.hpp"
#include "protocol/quickfix.hpp"

namespace broker::fix {

namespace {

// Tags (FIX 4.4).
constexpr int tag_account = 1;
constexpr int tag_avg_px = 6;
constexpr int tag_cl_ord_id = 11;
constexpr int tag_cum_qty = 14;
constexpr int tag_exec_id = 17;
constexpr int tag_handl_inst = 21;
constexpr int tag_last_px = 31;
constexpr int tag_last_qty = 32;
constexpr int tag_msg_type = 35;
constexpr int tag_order_id = 37;
constexpr int tag_order_qty = 38;
constexpr int tag_ord_status = 39;
constexpr int tag_ord_type = 40;
constexpr int tag_orig_cl_ord_id = 41;
constexpr int tag_price = 44;
constexpr int tag_side = 54;
constexpr int tag_symbol = 55;
constexpr int tag_text = 58;
constexpr int tag_time_in_force = 59;
constexpr int tag_transact_time = 60;
constexpr int tag_stop_px = 99;
constexpr int tag_ord_rej_reason = 103;
constexpr int tag_exec_type = 150;
constexpr int tag_leaves_qty = 151;
constexpr int tag_ref_seq_num = 45;
constexpr int tag_ref_msg_type = 372;
constexpr int tag_business_reject_reason = 380;
constexpr int tag_cxl_rej_response_to = 434;

constexpr char ord_rej_unknown_order = '5';

FIX::Message with_type(const char* msg_type) {
  FIX::Message m;
  m.getHeader().setField(tag_msg_type, msg_type);
  return m;
}

std::string msg_type(const FIX::Message& m) {
  return m.getHeader().isSetField(tag_msg_type) ? m.getHeader().getField(tag_msg_type) : std::string{};
}

char side_code(side s) { return s == side::buy ? '1' : '2'; }

std::optional<side> side_of(const std::string& v) {
  if (v == "1")
    return side::buy;
  if (v == "2")
    return side::sell;
  return std::nullopt;
}

char ord_status_code(order_status s) {
  switch (s) {
    case order_status::pending: return 'A'; // pending new
    case order_status::open: return '0';
    case order_status::partially_filled: return '1';
    case order_status::filled: return '2';
    case order_status::pending_cancel: return '6';
    case order_status::cancelled: return '4';
    case order_status::rejected: return '8';
    case order_status::expired: return 'C';
  }
  return '0';
}

std::optional<order_status> ord_status_of(const std::string& v) {
  if (v.size() != 1)
    return std::nullopt;
  switch (v[0]) {
    case 'A': return order_status::pending;
    case '0': return order_status::open;
    case '1': return order_status::partially_filled;
    case '2': return order_status::filled;
    case '6': return order_status::pending_cancel;
    case '4': return order_status::cancelled;
    case '8': return order_status::rejected;
    case 'C': return order_status::expired;
  }
  return std::nullopt;
}

// A field's text, or nullopt when it is not set.
std::optional<std::string> field(const FIX::Message& m, int tag) {
  if (!m.isSetField(tag))
    return std::nullopt;
  return m.getField(tag);
}

template <class Int>
std::optional<Int> whole(const std::string& v) {
  Int out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc{} || end != v.data() + v.size())
    return std::nullopt;
  return out;
}

// Reads fields into a result, stopping at the first one missing or malformed
// and remembering which.
class reader {
public:
  explicit reader(const FIX::Message& m) : m_(m) {}
  const std::string& error() const { return error_; }
  bool ok() const { return error_.empty(); }

  std::string text(int tag, const char* name, bool required = true) {
    auto v = field(m_, tag);
    if (!v && required)
      fail(tag, name, "missing");
    return v.value_or("");
  }
  int64_t integer(int tag, const char* name, bool required = true) {
    auto v = field(m_, tag);
    if (!v) {
      if (required)
        fail(tag, name, "missing");
      return 0;
    }
    auto n = whole<int64_t>(*v);
    if (!n)
      fail(tag, name, "not a whole number: " + *v);
    return n.value_or(0);
  }
  money price(int tag, const char* name, bool required = true) {
    auto v = field(m_, tag);
    if (!v) {
      if (required)
        fail(tag, name, "missing");
      return 0;
    }
    auto p = parse_decimal(*v, money_scale);
    if (!p || *p < 0)
      fail(tag, name, "not a price in rupees and paise: " + *v);
    return p.value_or(0);
  }
  // The broker's order id: ClOrdID is "<id>" for an order, "<id>-C<n>" for a
  // cancel of it.
  order_id order_ref(int tag, const char* name) {
    auto v = text(tag, name);
    auto n = whole<int64_t>(v.substr(0, v.find('-')));
    if (ok() && (!n || *n <= 0))
      fail(tag, name, "not a broker order id: " + v);
    return n.value_or(0);
  }
  side side_field() {
    auto v = text(tag_side, "Side");
    auto s = side_of(v);
    if (ok() && !s)
      fail(tag_side, "Side", "neither 1 (buy) nor 2 (sell): " + v);
    return s.value_or(side::buy);
  }

private:
  void fail(int tag, const char* name, const std::string& why) {
    if (error_.empty())
      error_ = std::string{name} + " (" + std::to_string(tag) + ") " + why;
  }
  const FIX::Message& m_;
  std::string error_;
};

void set_money(FIX::Message& m, int tag, money v) { m.setField(tag, format_decimal(v, money_scale)); }
void set_int(FIX::Message& m, int tag, int64_t v) { m.setField(tag, std::to_string(v)); }
void set_char(FIX::Message& m, int tag, char c) { m.setField(tag, std::string(1, c)); }

} // namespace

std::string utc_timestamp(timestamp t) {
  int64_t day = t >= 0 ? t / ns_per_day : (t - ns_per_day + 1) / ns_per_day;
  int64_t in_day = t - day * ns_per_day;
  auto c = civil_from_days(day);
  int64_t ms = in_day / 1'000'000;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04lld%02d%02d-%02lld:%02lld:%02lld.%03lld", static_cast<long long>(c.year),
                c.month, c.day, static_cast<long long>(ms / 3'600'000), static_cast<long long>(ms / 60'000 % 60),
                static_cast<long long>(ms / 1000 % 60), static_cast<long long>(ms % 1000));
  return buf;
}

// ---- the broker's side --------------------------------------------------------

FIX::Message new_order_single(const order& o, timestamp now) {
  auto m = with_type("D");
  m.setField(tag_cl_ord_id, std::to_string(o.id));
  set_int(m, tag_account, o.user);
  m.setField(tag_symbol, o.symbol);
  set_char(m, tag_side, side_code(o.side));
  m.setField(tag_transact_time, utc_timestamp(now));
  set_char(m, tag_handl_inst, '1'); // automated, no broker intervention (required in FIX 4.2)
  set_int(m, tag_order_qty, o.quantity);
  switch (o.type) {
    case order_type::market: set_char(m, tag_ord_type, '1'); break;
    case order_type::limit: set_char(m, tag_ord_type, '2'); break;
    case order_type::stop_market: set_char(m, tag_ord_type, '3'); break;
    case order_type::stop_limit: set_char(m, tag_ord_type, '4'); break;
  }
  if (o.type == order_type::limit || o.type == order_type::stop_limit)
    set_money(m, tag_price, o.price);
  if (o.type == order_type::stop_market || o.type == order_type::stop_limit)
    set_money(m, tag_stop_px, o.trigger_price);
  set_char(m, tag_time_in_force, o.validity == validity::ioc ? '3' : '0');
  return m;
}

FIX::Message order_cancel_request(const order& o, int64_t attempt, timestamp now) {
  auto m = with_type("F");
  m.setField(tag_orig_cl_ord_id, std::to_string(o.id));
  m.setField(tag_cl_ord_id, std::to_string(o.id) + "-C" + std::to_string(attempt));
  set_int(m, tag_account, o.user);
  m.setField(tag_symbol, o.symbol);
  set_char(m, tag_side, side_code(o.side));
  set_int(m, tag_order_qty, o.quantity);
  m.setField(tag_transact_time, utc_timestamp(now));
  return m;
}

FIX::Message order_status_request(order_id id, const std::string& symbol, user_id account, side s) {
  auto m = with_type("H");
  m.setField(tag_cl_ord_id, std::to_string(id));
  set_int(m, tag_account, account);
  m.setField(tag_symbol, symbol);
  set_char(m, tag_side, side_code(s));
  return m;
}

std::variant<order_report, std::string> read_order_report(const FIX::Message& m) {
  auto type = msg_type(m);
  reader in{m};
  order_report out;
  auto& r = out.report;
  // A cancel's reports name the cancel (ClOrdID) and the order (OrigClOrdID).
  bool about_cancel = m.isSetField(tag_orig_cl_ord_id);
  r.client_order_id = in.order_ref(about_cancel ? tag_orig_cl_ord_id : tag_cl_ord_id,
                                   about_cancel ? "OrigClOrdID" : "ClOrdID");
  r.account = in.integer(tag_account, "Account", false);
  r.exchange_order_id = in.text(tag_order_id, "OrderID", false);
  if (r.exchange_order_id == "NONE")
    r.exchange_order_id.clear();
  r.text = in.text(tag_text, "Text", false);
  if (type == "9") {
    r.kind = exec_kind::cancel_rejected;
    // No ExecID on a cancel reject; the cancel's own ClOrdID is unique.
    r.exec_id = "CXLREJ-" + in.text(tag_cl_ord_id, "ClOrdID");
    if (!in.ok())
      return in.error();
    return out;
  }
  if (type != "8")
    return "not an ExecutionReport or OrderCancelReject: MsgType " + type;
  r.exec_id = in.text(tag_exec_id, "ExecID");
  auto exec_type = in.text(tag_exec_type, "ExecType");
  auto status = ord_status_of(in.text(tag_ord_status, "OrdStatus"));
  r.cum_quantity = in.integer(tag_cum_qty, "CumQty");
  r.leaves_quantity = in.integer(tag_leaves_qty, "LeavesQty");
  if (!in.ok())
    return in.error();
  if (!status)
    return "OrdStatus (39) unknown: " + m.getField(tag_ord_status);
  out.status = *status;
  if (exec_type == "0") {
    r.kind = exec_kind::accepted;
  } else if (exec_type == "F" || exec_type == "1" || exec_type == "2") { // 1, 2: FIX 4.2's partial fill, fill
    r.kind = exec_kind::trade;
    r.last_quantity = in.integer(tag_last_qty, "LastQty");
    r.last_price = in.price(tag_last_px, "LastPx");
    if (in.ok() && r.last_quantity <= 0)
      return "LastQty (32) of a trade must be positive";
  } else if (exec_type == "4") {
    r.kind = exec_kind::cancelled;
  } else if (exec_type == "8") {
    r.kind = exec_kind::rejected;
    out.unknown_order = field(m, tag_ord_rej_reason) == std::string(1, ord_rej_unknown_order);
  } else if (exec_type == "C") {
    r.kind = exec_kind::expired;
  } else if (exec_type == "I") {
    out.status_answer = true;
    out.unknown_order = field(m, tag_ord_rej_reason) == std::string(1, ord_rej_unknown_order);
    r.kind = *status == order_status::rejected ? exec_kind::rejected
             : *status == order_status::cancelled ? exec_kind::cancelled
             : *status == order_status::expired   ? exec_kind::expired
                                                   : exec_kind::accepted;
  } else {
    return "ExecType (150) not one the broker applies: " + exec_type;
  }
  if (!in.ok())
    return in.error();
  if (r.cum_quantity < 0 || r.leaves_quantity < 0)
    return "CumQty (14) and LeavesQty (151) must not be negative";
  return out;
}

// ---- the exchange's side ----------------------------------------------------------

std::variant<order, std::string> read_new_order_single(const FIX::Message& m) {
  if (msg_type(m) != "D")
    return "not a NewOrderSingle: MsgType " + msg_type(m);
  reader in{m};
  order o;
  o.id = in.order_ref(tag_cl_ord_id, "ClOrdID");
  o.user = in.integer(tag_account, "Account");
  o.symbol = in.text(tag_symbol, "Symbol");
  o.side = in.side_field();
  o.quantity = in.integer(tag_order_qty, "OrderQty");
  auto type = in.text(tag_ord_type, "OrdType");
  auto tif = in.text(tag_time_in_force, "TimeInForce", false);
  if (!in.ok())
    return in.error();
  if (type == "1")
    o.type = order_type::market;
  else if (type == "2")
    o.type = order_type::limit;
  else if (type == "3")
    o.type = order_type::stop_market;
  else if (type == "4")
    o.type = order_type::stop_limit;
  else
    return "OrdType (40) not 1, 2, 3 or 4: " + type;
  if (tif.empty() || tif == "0")
    o.validity = validity::day;
  else if (tif == "3")
    o.validity = validity::ioc;
  else
    return "TimeInForce (59) not 0 (day) or 3 (IOC): " + tif;
  bool priced = o.type == order_type::limit || o.type == order_type::stop_limit;
  bool stopped = o.type == order_type::stop_market || o.type == order_type::stop_limit;
  o.price = in.price(tag_price, "Price", priced);
  o.trigger_price = in.price(tag_stop_px, "StopPx", stopped);
  if (!in.ok())
    return in.error();
  if (o.quantity <= 0)
    return "OrderQty (38) must be positive";
  return o;
}

std::variant<cancel_request, std::string> read_cancel_request(const FIX::Message& m) {
  if (msg_type(m) != "F")
    return "not an OrderCancelRequest: MsgType " + msg_type(m);
  reader in{m};
  cancel_request c;
  c.id = in.order_ref(tag_orig_cl_ord_id, "OrigClOrdID");
  c.cancel_id = in.text(tag_cl_ord_id, "ClOrdID");
  c.account = in.integer(tag_account, "Account", false);
  c.symbol = in.text(tag_symbol, "Symbol");
  c.side = in.side_field();
  if (!in.ok())
    return in.error();
  return c;
}

std::variant<status_request, std::string> read_status_request(const FIX::Message& m) {
  if (msg_type(m) != "H")
    return "not an OrderStatusRequest: MsgType " + msg_type(m);
  reader in{m};
  status_request q;
  q.id = in.order_ref(tag_cl_ord_id, "ClOrdID");
  q.account = in.integer(tag_account, "Account", false);
  q.symbol = in.text(tag_symbol, "Symbol");
  q.side = in.side_field();
  if (!in.ok())
    return in.error();
  return q;
}

FIX::Message report_message(const execution_report& r, const order_facts& f, bool status_answer) {
  if (r.kind == exec_kind::cancel_rejected) {
    auto m = with_type("9");
    m.setField(tag_order_id, r.exchange_order_id.empty() ? "NONE" : r.exchange_order_id);
    m.setField(tag_cl_ord_id, f.cancel_id.empty() ? std::to_string(r.client_order_id) : f.cancel_id);
    m.setField(tag_orig_cl_ord_id, std::to_string(r.client_order_id));
    set_char(m, tag_ord_status, ord_status_code(f.status));
    set_char(m, tag_cxl_rej_response_to, '1'); // to an OrderCancelRequest
    set_int(m, tag_account, r.account);
    if (!r.text.empty())
      m.setField(tag_text, r.text);
    return m;
  }
  auto m = with_type("8");
  m.setField(tag_order_id, r.exchange_order_id.empty() ? "NONE" : r.exchange_order_id);
  if (!f.cancel_id.empty()) {
    m.setField(tag_cl_ord_id, f.cancel_id);
    m.setField(tag_orig_cl_ord_id, std::to_string(r.client_order_id));
  } else {
    m.setField(tag_cl_ord_id, std::to_string(r.client_order_id));
  }
  m.setField(tag_exec_id, r.exec_id);
  char exec_type = '0';
  switch (r.kind) {
    case exec_kind::accepted: exec_type = '0'; break;
    case exec_kind::trade: exec_type = 'F'; break;
    case exec_kind::cancelled: exec_type = '4'; break;
    case exec_kind::rejected: exec_type = '8'; break;
    case exec_kind::expired: exec_type = 'C'; break;
    case exec_kind::cancel_rejected: break; // above
  }
  set_char(m, tag_exec_type, status_answer ? 'I' : exec_type);
  set_char(m, tag_ord_status, ord_status_code(f.status));
  set_int(m, tag_account, r.account);
  m.setField(tag_symbol, f.symbol);
  set_char(m, tag_side, side_code(f.side));
  set_int(m, tag_order_qty, f.quantity);
  set_int(m, tag_cum_qty, r.cum_quantity);
  set_int(m, tag_leaves_qty, r.leaves_quantity);
  // AvgPx is informational (the broker sums its own fills); 4 decimals of a rupee.
  money avg4 = r.cum_quantity > 0 ? f.cum_value * 100 / r.cum_quantity : 0;
  m.setField(tag_avg_px, format_decimal(avg4, 4));
  if (r.kind == exec_kind::trade && !status_answer) {
    set_int(m, tag_last_qty, r.last_quantity);
    set_money(m, tag_last_px, r.last_price);
  }
  if (!r.text.empty())
    m.setField(tag_text, r.text);
  m.setField(tag_transact_time, utc_timestamp(r.time));
  return m;
}

FIX::Message unknown_order_message(const status_request& q, const std::string& exec_id) {
  auto m = with_type("8");
  m.setField(tag_order_id, "NONE");
  m.setField(tag_cl_ord_id, std::to_string(q.id));
  m.setField(tag_exec_id, exec_id);
  set_char(m, tag_exec_type, 'I');
  set_char(m, tag_ord_status, '8');
  set_char(m, tag_ord_rej_reason, ord_rej_unknown_order);
  set_int(m, tag_account, q.account);
  m.setField(tag_symbol, q.symbol);
  set_char(m, tag_side, side_code(q.side));
  set_int(m, tag_cum_qty, 0);
  set_int(m, tag_leaves_qty, 0);
  m.setField(tag_avg_px, "0");
  m.setField(tag_text, "unknown order");
  return m;
}

FIX::Message business_reject(const std::string& ref_seq_num, const std::string& ref_msg_type,
                             const std::string& why) {
  auto m = with_type("j");
  m.setField(tag_ref_seq_num, ref_seq_num);
  m.setField(tag_ref_msg_type, ref_msg_type);
  set_char(m, tag_business_reject_reason, '0'); // other: the text says what
  m.setField(tag_text, why);
  return m;
}

} // namespace broker::fix
