#pragma once
// The store interface. The persistence actor is the only writer of the books;
// it commits one write_batch per flush, in one transaction. The operator
// console's rows (operators, their audit log, trading halts) are not the
// books': each of their calls is its own transaction, written directly, so an
// admin request is answered only once its audit line is durable. SQLite
// (embedded default) and PostgreSQL implement it; the same test suite runs
// against both.
//
// Rows are written as their latest state (upsert by key), except executions,
// which are insert-once by exec_id: a replayed report cannot be stored twice.
#include <cstdint>
#include <chrono>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "protocol/alerts.hpp"
#include "protocol/fees.hpp"
#include "protocol/ledger.hpp"
#include "protocol/market_data.hpp"
#include "protocol/notifications.hpp"
#include "protocol/types.hpp"
#include "protocol/watchlists.hpp"

namespace broker {

// The account's cash is stored as one total. How much of it is held is not
// stored: it follows from the working orders' held_cash and the pending
// withdrawals, so placing or cancelling an order writes no account row.
struct account_row {
  user_id user = 0;
  money cash = 0; // available + held
  int64_t next_transfer_id = 1;
};

struct holding_row {
  user_id user = 0;
  holding position;
};

struct execution_row {
  user_id user = 0;
  execution_report report;
  std::string symbol;
  broker::side side = side::buy;
  fee_breakdown fees; // what this fill paid (trades only)
};

// Sale proceeds of one user due to settle on one day. Upserted by
// (user, due_day) as they change; amount 0 once settled (the row may go).
struct settlement_row {
  user_id user = 0;
  int64_t due_day = 0; // local day number (days since 1970-01-01 at the exchange's offset)
  money amount = 0;
};

// Like orders, journal entries and notifications are keyed by node-wide
// increasing ids and read whole at start: each commit appends at the end of
// their tables. A key that led with the user would make every commit write
// one page per user it touched (order_bench: 10 KiB per order instead of 2).

struct write_batch {
  std::vector<user_profile> users;          // upsert by id
  std::vector<account_row> accounts;        // upsert by user
  std::vector<holding_row> holdings;        // upsert by (user, symbol); quantity 0 rows may stay
  std::vector<order> orders;                // upsert by id
  std::vector<execution_row> executions;    // insert; a duplicate exec_id is ignored
  std::vector<transfer> transfers;          // upsert by (user, id)
  std::vector<idempotency_entry> idempotency; // insert; a second entry for an order is ignored
  std::vector<candle> candles;              // upsert by (symbol, start)
  std::vector<price_alert> alerts;          // upsert by (user, id)
  std::vector<journal_entry> journal;       // insert; a second entry for an id is ignored
  std::vector<settlement_row> settlements;  // upsert by (user, due_day)
  std::vector<notification> notifications;  // insert; a second one for an id is ignored
  std::vector<notification_read> notification_reads; // mark read, by id
  std::vector<watchlist> watchlists;        // upsert by (user, id)
  // Not a row: when its writer handed it to persistence, on the steady clock,
  // for queue-delay measurements (persistence_probe; set only when one is).
  // Local only: not serialized, and append() keeps the first batch's.
  std::chrono::steady_clock::time_point handed_over{};

  bool empty() const { return rows() == 0; }
  size_t rows() const {
    return users.size() + accounts.size() + holdings.size() + orders.size() + executions.size()
           + transfers.size() + idempotency.size() + candles.size() + alerts.size()
           + journal.size() + settlements.size() + notifications.size()
           + notification_reads.size() + watchlists.size();
  }
  void append(write_batch&& other); // moves other's rows after this batch's
};

// Everything needed to rebuild the books at start.
struct store_snapshot {
  std::vector<user_profile> users;
  std::vector<account_row> accounts;
  std::vector<holding_row> holdings;
  std::vector<order> orders;
  std::vector<execution_row> executions;
  std::vector<transfer> transfers;
  std::vector<idempotency_entry> idempotency;
  std::vector<price_alert> alerts;
  std::vector<journal_entry> journal;      // by id
  std::vector<settlement_row> settlements; // amount > 0 only
  std::vector<notification> notifications; // by id
  std::vector<watchlist> watchlists; // deleted ones too (their ids stay taken)
};

// An operator of the broker (the admin console), not a user: separate table,
// separate tokens. password_hash is libsodium's crypto_pwhash_str (argon2id).
struct operator_account {
  std::string name;          // unique, 1..64 chars
  std::string password_hash;
  timestamp created_at = 0;
  bool disabled = false;
};

// One line of the operators' audit log: every admin request and action.
// Append-only: the backends refuse UPDATE and DELETE on its table.
struct audit_entry {
  int64_t id = 0;            // assigned by the store, increasing
  timestamp at = 0;
  std::string operator_name; // "" when nobody was authenticated (a failed login)
  std::string remote_address;
  std::string action;        // e.g. "POST /admin/v1/halts", "login"
  std::string target;        // e.g. "symbol:INFY", "" when none
  std::string detail;        // free text (reason given, error code)
  int status = 0;            // the HTTP status answered
};

// A symbol whose trading an operator halted; kept so a restart keeps it halted.
struct stored_halt {
  std::string symbol;
  std::string reason;
  timestamp since = 0;
  std::string operator_name;
};

// Thrown by a backend when a commit or read fails; the batch was not applied.
struct store_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class store {
public:
  virtual ~store() = default;
  // Applies every row of the batch in one transaction, or none (throws store_error).
  virtual void commit(const write_batch& batch) = 0;
  virtual store_snapshot load() = 0;
  // What load() holds of one user only (an account rebuilt after its actor
  // died). The default filters load(); a backend overrides it with reads of
  // that user's rows, so one account's reload does not read every account.
  virtual store_snapshot load_user(user_id u);
  // The active price alerts on one symbol (its actor rebuilt after dying),
  // by user then id. The default filters load().
  virtual std::vector<price_alert> active_alerts_of(const std::string& symbol);
  // Executions of one order, oldest first (order detail).
  virtual std::vector<execution_row> executions_of(order_id id) = 0;
  // One-minute candles starting at or after `from`, by symbol then start.
  virtual std::vector<candle> candles_since(timestamp from) = 0;
  // One symbol's one-minute candles starting in [from, to), by start (charts
  // of past days). The default filters candles_since(); backends override it
  // with a range read on their (symbol, start) key.
  virtual std::vector<candle> candles_of(const std::string& symbol, timestamp from, timestamp to) {
    std::vector<candle> out;
    for (auto& c : candles_since(from))
      if (c.symbol == symbol && c.start < to)
        out.push_back(std::move(c));
    return out;
  }

  // The operator console's rows. Each call below throws store_error on a
  // backend failure, is its own transaction, durable when it returns, and may
  // run on any thread, concurrently with commit() and the reads.

  // Operators (admin console). add_operator: false if the name is taken (nothing written).
  virtual bool add_operator(const operator_account& a) = 0;
  virtual std::optional<operator_account> find_operator(const std::string& name) = 0;
  virtual std::vector<operator_account> operators() = 0; // by name
  // Appends one entry (its id is ignored) and answers the id it was given.
  virtual int64_t append_audit(const audit_entry& e) = 0;
  // Newest first: entries with id < before_id (before_id <= 0: from the newest), at most limit.
  virtual std::vector<audit_entry> audit_log(int64_t before_id, size_t limit) = 0;
  // Halts: put replaces the symbol's row; remove of an absent symbol does nothing.
  virtual void put_halt(const stored_halt& h) = 0;
  virtual void remove_halt(const std::string& symbol) = 0;
  virtual std::vector<stored_halt> halts() = 0; // by symbol
};

} // namespace broker
