#pragma once
// The domain nouns, defined once. Money and prices are int64 counts of the
// currency's minor unit (paise); quantities are whole shares; times are
// nanoseconds since the Unix epoch from the injected clock.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace broker {

using user_id = int64_t;
// Node-wide and increasing in the order orders were placed, so the store
// appends new orders at the end of its tables instead of all over them.
using order_id = int64_t;
using money = int64_t;    // minor units
using timestamp = int64_t; // ns since epoch, UTC

constexpr int money_scale = 2; // paise

enum class side : uint8_t { buy, sell };
enum class order_type : uint8_t { market, limit, stop_limit /* SL */, stop_market /* SL-M */ };
enum class validity : uint8_t { day, ioc };

// FIX semantics. Final states: filled, cancelled, rejected, expired.
enum class order_status : uint8_t {
  pending,          // accepted by the broker, not yet acknowledged by the exchange
  open,             // resting at the exchange (or a stop waiting for its trigger)
  partially_filled,
  filled,
  pending_cancel,
  cancelled,
  rejected,
  expired,
};

enum class kyc_status : uint8_t { not_started, pending, verified, rejected };

bool is_final(order_status s);
// The one table of legal order transitions; apply_* code asserts against it.
bool is_legal_transition(order_status from, order_status to);

// Wire names, as the API spells them ("BUY", "SL-M", "PARTIALLY_FILLED").
std::string_view to_string(side x);
std::string_view to_string(order_type x);
std::string_view to_string(validity x);
std::string_view to_string(order_status x);
std::string_view to_string(kyc_status x);
std::optional<side> parse_side(std::string_view s);
std::optional<order_type> parse_order_type(std::string_view s);
std::optional<validity> parse_validity(std::string_view s);
std::optional<order_status> parse_order_status(std::string_view s);
std::optional<kyc_status> parse_kyc_status(std::string_view s);

struct instrument {
  std::string symbol;
  std::string name;
  money tick_size = 5;        // price must be a multiple of this
  int64_t lot_size = 1;       // quantity must be a multiple of this
  money reference_price = 0;  // previous close: centre of the price band
  int band_percent = 20;      // allowed distance from reference_price
  money lower_band() const;   // rounded inward to the tick
  money upper_band() const;
};

struct order {
  order_id id = 0;
  user_id user = 0;
  std::string symbol;
  broker::side side = side::buy;
  order_type type = order_type::market;
  broker::validity validity = validity::day;
  int64_t quantity = 0;
  money price = 0;          // LIMIT and SL
  money trigger_price = 0;  // SL and SL-M
  order_status status = order_status::pending;
  int64_t filled_quantity = 0;
  money filled_value = 0;   // sum of fill qty * fill price; average = value / qty
  money held_cash = 0;      // cash still held for this (buy) order, charges included
  // The part of held_cash drawn from unsettled sale proceeds, and the latest
  // settlement day it was drawn from: released, it goes back to settle then.
  money held_unsettled = 0;
  int64_t unsettled_due = 0; // local day number (days since 1970-01-01)
  money fees = 0;           // brokerage + statutory charges paid on its fills so far
  std::string exchange_order_id;
  std::string reject_code;  // machine-readable reason when rejected
  std::string reject_message;
  std::string idempotency_key;
  timestamp created_at = 0;
  timestamp updated_at = 0;

  int64_t leaves_quantity() const {
    return is_final(status) ? 0 : quantity - filled_quantity;
  }
};

// What the exchange says about an order. exec_id is unique per report and is
// what makes applying a report idempotent.
// cancel_rejected is FIX's OrderCancelReject: the cancel lost (order filled or unknown);
// the order itself is unchanged.
enum class exec_kind : uint8_t { accepted, trade, cancelled, rejected, expired, cancel_rejected };
std::string_view to_string(exec_kind x);
std::optional<exec_kind> parse_exec_kind(std::string_view s);

struct execution_report {
  std::string exec_id;
  order_id client_order_id = 0;
  // The account the order was placed for, echoed by the exchange (FIX tag 1,
  // Account): execution reports are routed to accounts by it.
  user_id account = 0;
  std::string exchange_order_id;
  exec_kind kind = exec_kind::accepted;
  int64_t last_quantity = 0; // trade only
  money last_price = 0;      // trade only
  int64_t cum_quantity = 0;
  int64_t leaves_quantity = 0;
  std::string text; // reject / cancel reason
  timestamp time = 0;
  // Made by reconciliation (the exchange's answer to "what of this order?"),
  // not an event the exchange reported: counted and logged as a repair.
  bool repair = false;
};

struct holding {
  std::string symbol;
  int64_t quantity = 0;       // shares owned
  int64_t held_quantity = 0;  // reserved for open sell orders; <= quantity
  money cost_basis = 0;       // total cost of the shares owned (avg = basis / qty)
};

struct user_profile {
  user_id id = 0;
  std::string email;
  std::string password_hash; // libsodium argon2id string
  std::string name;
  std::string phone;
  kyc_status kyc = kyc_status::not_started;
  std::string pan;
  std::string date_of_birth; // YYYY-MM-DD
  std::string address;
  std::string kyc_reason;    // why KYC was rejected
  // An operator blocked this user from placing orders (the console's
  // "block a user"); cancels, funds and reads go on.
  bool trading_blocked = false;
  timestamp created_at = 0;
};

// What a user sees of their money; every figure is a sum of journal entries.
struct cash_balance {
  money available = 0;    // free for buying: settled cash + unsettled sale proceeds
  money held = 0;         // reserved for open buy orders and pending withdrawals
  money unsettled = 0;    // the part of `available` not yet settled (not withdrawable)
  money withdrawable = 0; // settled and free
};

enum class transfer_kind : uint8_t { deposit, withdrawal };
enum class transfer_status : uint8_t { pending, completed, failed };
std::string_view to_string(transfer_kind x);
std::string_view to_string(transfer_status x);
std::optional<transfer_kind> parse_transfer_kind(std::string_view s);
std::optional<transfer_status> parse_transfer_status(std::string_view s);

// A deposit or withdrawal through the payment gateway.
struct transfer {
  int64_t id = 0; // unique per user
  user_id user = 0;
  transfer_kind kind = transfer_kind::deposit;
  money amount = 0;
  transfer_status status = transfer_status::pending;
  std::string gateway_reference;
  std::string failure_reason;
  timestamp created_at = 0;
  timestamp updated_at = 0;
};

// An Idempotency-Key remembered with a digest of the request it came with, so
// a replay with a different body is told apart from a true retry.
struct idempotency_entry {
  user_id user = 0;
  std::string key;
  std::string request_digest;
  order_id order = 0;
};

} // namespace broker
