#pragma once
// The message vocabulary between actors: one atom per verb, declared once, and
// the inspect() overloads CAF needs to carry the domain types. Light CAF
// headers only (no caf/all.hpp).
#include <optional>
#include <vector>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>

#include "protocol/indices.hpp"
#include "protocol/lots.hpp"
#include "protocol/portfolio.hpp"
#include "protocol/market_data.hpp"
#include "protocol/reject_reason.hpp"
#include "protocol/requests.hpp"
#include "protocol/types.hpp"
#include "storage/store.hpp"

namespace broker {

// Account commands (edge -> account).
using place_atom = caf::atom_constant<caf::atom("place")>;
using cancel_atom = caf::atom_constant<caf::atom("cancel")>;
using order_atom = caf::atom_constant<caf::atom("order")>;
using orders_atom = caf::atom_constant<caf::atom("orders")>;
using deposit_atom = caf::atom_constant<caf::atom("deposit")>;
using withdraw_atom = caf::atom_constant<caf::atom("withdraw")>;
using balance_atom = caf::atom_constant<caf::atom("balance")>;
using kyc_atom = caf::atom_constant<caf::atom("kyc")>;
using profile_atom = caf::atom_constant<caf::atom("profile")>;
using watch_atom = caf::atom_constant<caf::atom("watch")>;     // a session follows an account
using unwatch_atom = caf::atom_constant<caf::atom("unwatch")>;
using portfolio_atom = caf::atom_constant<caf::atom("portfolio")>; // holdings, P&L inputs
// Store reader: a user's history (journal, trades, tax report).
using journal_atom = caf::atom_constant<caf::atom("journal")>;
using trades_atom = caf::atom_constant<caf::atom("trades")>;
using tax_atom = caf::atom_constant<caf::atom("tax")>;
using notifications_atom = caf::atom_constant<caf::atom("notes")>; // list (reader) / mark read (account)
using watchlists_atom = caf::atom_constant<caf::atom("watchlist")>;
using performance_atom = caf::atom_constant<caf::atom("perf")>; // holdings by day (account)
using closes_atom = caf::atom_constant<caf::atom("closes")>;    // daily closes (store reader)
// Identity (edge -> users).
using signup_atom = caf::atom_constant<caf::atom("signup")>;
using login_atom = caf::atom_constant<caf::atom("login")>;
// Directory.
using account_atom = caf::atom_constant<caf::atom("account")>;   // find a user's account actor
using open_account_atom = caf::atom_constant<caf::atom("openacct")>;
// Persistence.
using commit_atom = caf::atom_constant<caf::atom("commit")>;       // request: answered after commit
using retry_write_atom = caf::atom_constant<caf::atom("retrywrite")>; // a failed batch, again
using flush_now_atom = caf::atom_constant<caf::atom("flushnow")>;
// Exchange link (connector <-> exchange).
using new_order_atom = caf::atom_constant<caf::atom("neworder")>;
using cancel_order_atom = caf::atom_constant<caf::atom("cxlorder")>;
using reconcile_atom = caf::atom_constant<caf::atom("reconcile")>;
using attach_atom = caf::atom_constant<caf::atom("attach")>;
using reattach_atom = caf::atom_constant<caf::atom("reattach")>; // connector: replace a dead exchange link
using order_status_atom = caf::atom_constant<caf::atom("ordstatus")>; // ask the exchange about one order
using logon_atom = caf::atom_constant<caf::atom("logon")>;   // a FIX session logged on
using logout_atom = caf::atom_constant<caf::atom("logout")>; // a FIX session ended
using market_data_atom = caf::atom_constant<caf::atom("mktdata")>; // the exchange's quotes flow, or stopped
using load_atom = caf::atom_constant<caf::atom("load")>; // store reader: one account's books
// Outside services (sim/): KYC provider, payment gateway.
using verify_atom = caf::atom_constant<caf::atom("verify")>;
using verdict_atom = caf::atom_constant<caf::atom("verdict")>;
using collect_atom = caf::atom_constant<caf::atom("collect")>;
using payout_atom = caf::atom_constant<caf::atom("payout")>;
// Sessions.
using frame_atom = caf::atom_constant<caf::atom("frame")>;
using closed_atom = caf::atom_constant<caf::atom("closed")>;
using push_atom = caf::atom_constant<caf::atom("push")>;

// Market data (exchange -> connector -> symbol -> session).
using ticks_atom = caf::atom_constant<caf::atom("ticks")>;       // a batch of ticks
using conflate_atom = caf::atom_constant<caf::atom("conflate")>; // a symbol's push timer
using quote_atom = caf::atom_constant<caf::atom("quote")>;       // ask a symbol for its quote
using drain_atom = caf::atom_constant<caf::atom("drain")>;       // a session writes what waits
using candles_atom = caf::atom_constant<caf::atom("candles")>;   // a symbol's chart
using movers_atom = caf::atom_constant<caf::atom("movers")>;     // top gainers / losers
using indices_atom = caf::atom_constant<caf::atom("indices")>;   // index levels
// Price alerts (account <-> symbol; symbol -> directory -> account when one fires).
using alert_atom = caf::atom_constant<caf::atom("alert")>;
using alerts_atom = caf::atom_constant<caf::atom("alerts")>;
using unalert_atom = caf::atom_constant<caf::atom("unalert")>;
using fired_atom = caf::atom_constant<caf::atom("fired")>;

using call_atom = caf::atom_constant<caf::atom("call")>;   // edge -> gateway: run this call
using sweep_atom = caf::atom_constant<caf::atom("sweep")>; // gateway: answer overdue calls
// Operator console (actors/instrumented_behavior.hpp): an actor's mailbox depth.
using stats_atom = caf::atom_constant<caf::atom("stats")>;
// Operator console: an actor's state, as a JSON object (its kind's fields).
using inspect_atom = caf::atom_constant<caf::atom("inspect")>;
using audit_atom = caf::atom_constant<caf::atom("audit")>;   // operator desk: the audit log
using halt_atom = caf::atom_constant<caf::atom("halt")>;     // operator desk: halt a symbol
using resume_atom = caf::atom_constant<caf::atom("resume")>; // operator desk: trade it again
using kick_atom = caf::atom_constant<caf::atom("kick")>;       // session: an operator disconnects it
using relink_atom = caf::atom_constant<caf::atom("relink")>;   // connector: drop the link, reopen, reconcile
using passivate_atom = caf::atom_constant<caf::atom("passivate")>; // directory: stop an account until next use
using block_atom = caf::atom_constant<caf::atom("block")>;     // account: (un)block placing orders

// One watchlist call for the account: which verb, on which list, with what.
struct watchlist_command {
  enum verb_t : uint8_t { get, create, update, add, remove_symbol, remove };
  verb_t verb = get;
  int64_t id = 0;
  std::optional<std::string> name;
  std::optional<std::vector<std::string>> symbols;
  std::string symbol; // remove_symbol
};

// A page of a user's orders, newest first.
struct order_query {
  std::string status; // empty: any; else an order_status wire name
  int64_t page = 1;
  int64_t limit = 50;
};
struct order_page {
  std::vector<order> orders;
  int64_t total = 0;
};

// The KYC provider's answer; `final` is false while it is still checking.
struct kyc_verdict {
  bool final = false;
  bool verified = false;
  std::string reason;
};

// The payment gateway's answer.
struct payment_result {
  bool ok = false;
  std::string reference; // gateway reference, or the failure reason
};

// Rejections travel as caf::error in the "broker" category: code = reject_reason,
// context = (message, field). edge/ turns them back into a rejection.
constexpr caf::atom_value broker_error_category = caf::atom("broker");
caf::error to_error(const rejection& r);
rejection to_rejection(const caf::error& e);

// --- inspect overloads --------------------------------------------------------

template <class F> typename F::result_type inspect(F& f, order& x) {
  return f(caf::meta::type_name("order"), x.id, x.user, x.symbol, x.side, x.type, x.validity,
           x.quantity, x.price, x.trigger_price, x.status, x.filled_quantity, x.filled_value,
           x.held_cash, x.held_unsettled, x.unsettled_due, x.fees, x.exchange_order_id,
           x.reject_code, x.reject_message, x.idempotency_key, x.created_at, x.updated_at);
}
template <class F> typename F::result_type inspect(F& f, execution_report& x) {
  return f(caf::meta::type_name("execution_report"), x.exec_id, x.client_order_id, x.account,
           x.exchange_order_id, x.kind, x.last_quantity, x.last_price, x.cum_quantity,
           x.leaves_quantity, x.text, x.time, x.repair);
}
template <class F> typename F::result_type inspect(F& f, place_order_request& x) {
  return f(caf::meta::type_name("place_order_request"), x.symbol, x.side, x.type, x.validity,
           x.quantity, x.price, x.trigger_price);
}
template <class F> typename F::result_type inspect(F& f, signup_request& x) {
  return f(caf::meta::type_name("signup_request"), x.email, x.password, x.name, x.phone);
}
template <class F> typename F::result_type inspect(F& f, login_request& x) {
  return f(caf::meta::type_name("login_request"), x.email, x.password);
}
template <class F> typename F::result_type inspect(F& f, kyc_request& x) {
  return f(caf::meta::type_name("kyc_request"), x.pan, x.date_of_birth, x.address);
}
template <class F> typename F::result_type inspect(F& f, user_profile& x) {
  return f(caf::meta::type_name("user_profile"), x.id, x.email, x.password_hash, x.name, x.phone,
           x.kyc, x.pan, x.date_of_birth, x.address, x.kyc_reason, x.trading_blocked, x.created_at);
}
template <class F> typename F::result_type inspect(F& f, cash_balance& x) {
  return f(caf::meta::type_name("cash_balance"), x.available, x.held, x.unsettled,
           x.withdrawable);
}
template <class F> typename F::result_type inspect(F& f, holding& x) {
  return f(caf::meta::type_name("holding"), x.symbol, x.quantity, x.held_quantity, x.cost_basis);
}
template <class F> typename F::result_type inspect(F& f, transfer& x) {
  return f(caf::meta::type_name("transfer"), x.id, x.user, x.kind, x.amount, x.status,
           x.gateway_reference, x.failure_reason, x.created_at, x.updated_at);
}
template <class F> typename F::result_type inspect(F& f, idempotency_entry& x) {
  return f(caf::meta::type_name("idempotency_entry"), x.user, x.key, x.request_digest, x.order);
}
template <class F> typename F::result_type inspect(F& f, tick& x) {
  return f(caf::meta::type_name("tick"), x.symbol, x.exchange_time, x.last_price, x.last_quantity,
           x.bid, x.ask);
}
template <class F> typename F::result_type inspect(F& f, quote& x) {
  return f(caf::meta::type_name("quote"), x.symbol, x.ltp, x.open, x.high, x.low, x.prev_close,
           x.volume, x.bid, x.ask, x.time);
}
template <class F> typename F::result_type inspect(F& f, candle& x) {
  return f(caf::meta::type_name("candle"), x.symbol, x.start, x.open, x.high, x.low, x.close,
           x.volume);
}
template <class F> typename F::result_type inspect(F& f, index_value& x) {
  return f(caf::meta::type_name("index_value"), x.name, x.level, x.prev_close, x.time);
}
template <class F> typename F::result_type inspect(F& f, price_alert& x) {
  return f(caf::meta::type_name("price_alert"), x.id, x.user, x.symbol, x.condition, x.price,
           x.status, x.triggered_price, x.created_at, x.updated_at);
}
template <class F> typename F::result_type inspect(F& f, alert_request& x) {
  return f(caf::meta::type_name("alert_request"), x.symbol, x.condition, x.price);
}
template <class F> typename F::result_type inspect(F& f, account_row& x) {
  return f(caf::meta::type_name("account_row"), x.user, x.cash, x.next_transfer_id);
}
template <class F> typename F::result_type inspect(F& f, holding_row& x) {
  return f(caf::meta::type_name("holding_row"), x.user, x.position);
}
template <class F> typename F::result_type inspect(F& f, fee_breakdown& x) {
  return f(caf::meta::type_name("fee_breakdown"), x.brokerage, x.stt, x.exchange, x.sebi, x.stamp,
           x.gst);
}
template <class F> typename F::result_type inspect(F& f, day_position& x) {
  return f(caf::meta::type_name("day_position"), x.bought_quantity, x.bought_value,
           x.sold_quantity, x.sold_value, x.realized, x.charges);
}
template <class F> typename F::result_type inspect(F& f, realized_lot& x) {
  return f(caf::meta::type_name("realized_lot"), x.symbol, x.buy_ref, x.sell_ref, x.acquired_at,
           x.sold_at, x.quantity, x.cost, x.proceeds);
}
template <class F> typename F::result_type inspect(F& f, day_holdings& x) {
  return f(caf::meta::type_name("day_holdings"), x.day, x.cash, x.quantities);
}
template <class F> typename F::result_type inspect(F& f, account_holdings& x) {
  return f(caf::meta::type_name("account_holdings"), x.holdings, x.realized, x.today, x.cash,
           x.charges_paid);
}
template <class F> typename F::result_type inspect(F& f, journal_entry& x) {
  return f(caf::meta::type_name("journal_entry"), x.id, x.user, x.at, x.kind, x.reference,
           x.amounts);
}
template <class F> typename F::result_type inspect(F& f, journal_page& x) {
  return f(caf::meta::type_name("journal_page"), x.entries, x.total);
}
template <class F> typename F::result_type inspect(F& f, execution_row& x) {
  return f(caf::meta::type_name("execution_row"), x.user, x.report, x.symbol, x.side, x.fees);
}
template <class F> typename F::result_type inspect(F& f, write_batch& x) {
  return f(caf::meta::type_name("write_batch"), x.users, x.accounts, x.holdings, x.orders,
           x.executions, x.transfers, x.idempotency);
}
template <class F> typename F::result_type inspect(F& f, order_query& x) {
  return f(caf::meta::type_name("order_query"), x.status, x.page, x.limit);
}
template <class F> typename F::result_type inspect(F& f, order_page& x) {
  return f(caf::meta::type_name("order_page"), x.orders, x.total);
}
template <class F> typename F::result_type inspect(F& f, notification& x) {
  return f(caf::meta::type_name("notification"), x.id, x.user, x.at, x.kind, x.reference,
           x.message, x.read);
}
template <class F> typename F::result_type inspect(F& f, notification_page& x) {
  return f(caf::meta::type_name("notification_page"), x.entries, x.total, x.unread);
}
template <class F> typename F::result_type inspect(F& f, watchlist& x) {
  return f(caf::meta::type_name("watchlist"), x.user, x.id, x.name, x.symbols, x.deleted,
           x.created_at, x.updated_at);
}
template <class F> typename F::result_type inspect(F& f, kyc_verdict& x) {
  return f(caf::meta::type_name("kyc_verdict"), x.final, x.verified, x.reason);
}
template <class F> typename F::result_type inspect(F& f, payment_result& x) {
  return f(caf::meta::type_name("payment_result"), x.ok, x.reference);
}

} // namespace broker

// Stays in the process (edge -> account): std::optional has no CAF 0.17 inspector.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(broker::watchlist_command)
