#include "storage/sqlite_store.hpp"
#include "storage/narrowed_reads.hpp"
#include "storage/wal_coalescing_vfs.hpp"

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <mutex>
#include <thread>
#include <optional>
#include <string_view>
#include <utility>

#include "storage/migrations.hpp"

namespace broker {

namespace {

[[noreturn]] void fail(const std::string& what, const SQLite::Exception& e) {
  throw store_error("sqlite " + what + ": " + e.what() + " (code "
                    + std::to_string(e.getExtendedErrorCode()) + ")");
}

// Resets a cached statement however its use ends: a statement left mid-step
// would pin the reader's snapshot (and with it the WAL) or make its next use
// fail with "statement needs reset".
class reset_guard {
public:
  explicit reset_guard(SQLite::Statement& s) : s_(s) {}
  ~reset_guard() { (void)s_.tryReset(); }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

private:
  SQLite::Statement& s_;
};

void bind_one(SQLite::Statement& s, int i, int64_t v) { s.bind(i, v); }
void bind_one(SQLite::Statement& s, int i, const std::string& v) { s.bind(i, v); }
// Enum wire names; short enough for the small-string buffer, so no allocation.
void bind_one(SQLite::Statement& s, int i, std::string_view v) { s.bind(i, std::string(v)); }

// Binds args to ?1..?N in order and runs a statement that returns no rows;
// answers how many rows it changed.
template <class... Args>
int run(SQLite::Statement& s, const Args&... args) {
  reset_guard guard(s);
  int i = 0;
  (bind_one(s, ++i, args), ...);
  return s.exec();
}

// Reads the current row's columns left to right, in the SELECT's order.
class row_reader {
public:
  explicit row_reader(SQLite::Statement& s) : s_(s) {}
  int64_t i64() { return s_.getColumn(next_++).getInt64(); }
  std::string text() { return s_.getColumn(next_++).getString(); }
  // An enum stored as its wire string. A string that doesn't parse means the
  // file was edited or corrupted: fail loudly rather than guess a value.
  template <class E>
  E wire(std::optional<E> (*parse)(std::string_view), const char* column) {
    std::string raw = text();
    if (std::optional<E> value = parse(raw))
      return *value;
    throw store_error(std::string("sqlite load: bad value '") + raw + "' in " + column);
  }

private:
  SQLite::Statement& s_;
  int next_ = 0;
};

// ---- Migrations -------------------------------------------------------------

std::vector<int> applied_versions(SQLite::Database& db) {
  std::vector<int> versions;
  SQLite::Statement q(db, "SELECT version FROM schema_migrations ORDER BY version");
  while (q.executeStep())
    versions.push_back(q.getColumn(0).getInt());
  return versions;
}

// Applies each missing migration in its own transaction, recording it in the
// same transaction: a crash leaves a migration either fully applied and
// recorded, or neither.
void apply_migrations(SQLite::Database& db) {
  db.exec(schema_migrations_sqlite_ddl);
  for (const migration* m : pending_migrations(all_migrations(), applied_versions(db))) {
    try {
      // IMMEDIATE takes the write lock now, so the check below is final even
      // if another process opened the same file at the same time.
      SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
      SQLite::Statement seen(db, "SELECT 1 FROM schema_migrations WHERE version = ?");
      seen.bind(1, m->version);
      if (seen.executeStep())
        continue; // applied meanwhile; tx rolls back its empty transaction
      db.exec(m->sqlite_sql);
      SQLite::Statement record(db,
        "INSERT INTO schema_migrations (version, name, applied_at)"
        " VALUES (?, ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))");
      record.bind(1, m->version);
      record.bind(2, m->name);
      record.exec();
      tx.commit();
    } catch (const SQLite::Exception& e) {
      fail("migration " + std::to_string(m->version) + " (" + m->name + ")", e);
    }
  }
}

// ---- Row binders and readers --------------------------------------------------
// Each table's column order is written once in its SQL below; the binder and
// the reader of that table follow the same order.

constexpr const char* upsert_user_sql =
  "INSERT INTO users (id, email, password_hash, name, phone, kyc, pan, date_of_birth,"
  " address, kyc_reason, created_at, trading_blocked)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
  " ON CONFLICT (id) DO UPDATE SET email = excluded.email,"
  " password_hash = excluded.password_hash, name = excluded.name, phone = excluded.phone,"
  " kyc = excluded.kyc, pan = excluded.pan, date_of_birth = excluded.date_of_birth,"
  " address = excluded.address, kyc_reason = excluded.kyc_reason,"
  " created_at = excluded.created_at, trading_blocked = excluded.trading_blocked";
constexpr const char* select_users_sql =
  "SELECT id, email, password_hash, name, phone, kyc, pan, date_of_birth, address,"
  " kyc_reason, created_at, trading_blocked FROM users ORDER BY id";

void write_row(SQLite::Statement& s, const user_profile& u) {
  run(s, u.id, u.email, u.password_hash, u.name, u.phone, to_string(u.kyc), u.pan,
      u.date_of_birth, u.address, u.kyc_reason, u.created_at,
      int64_t{u.trading_blocked ? 1 : 0});
}
user_profile read_user(SQLite::Statement& s) {
  row_reader r(s);
  user_profile u;
  u.id = r.i64();
  u.email = r.text();
  u.password_hash = r.text();
  u.name = r.text();
  u.phone = r.text();
  u.kyc = r.wire(parse_kyc_status, "users.kyc");
  u.pan = r.text();
  u.date_of_birth = r.text();
  u.address = r.text();
  u.kyc_reason = r.text();
  u.created_at = r.i64();
  u.trading_blocked = r.i64() != 0;
  return u;
}

constexpr const char* upsert_account_sql =
  "INSERT INTO accounts (user_id, cash, next_transfer_id) VALUES (?1, ?2, ?3)"
  " ON CONFLICT (user_id) DO UPDATE SET cash = excluded.cash,"
  " next_transfer_id = excluded.next_transfer_id";
constexpr const char* select_accounts_sql =
  "SELECT user_id, cash, next_transfer_id"
  " FROM accounts ORDER BY user_id";

void write_row(SQLite::Statement& s, const account_row& a) {
  run(s, a.user, a.cash, a.next_transfer_id);
}
account_row read_account(SQLite::Statement& s) {
  row_reader r(s);
  account_row a;
  a.user = r.i64();
  a.cash = r.i64();
  a.next_transfer_id = r.i64();
  return a;
}

constexpr const char* upsert_holding_sql =
  "INSERT INTO holdings (user_id, symbol, quantity, held_quantity, cost_basis)"
  " VALUES (?1, ?2, ?3, ?4, ?5)"
  " ON CONFLICT (user_id, symbol) DO UPDATE SET quantity = excluded.quantity,"
  " held_quantity = excluded.held_quantity, cost_basis = excluded.cost_basis";
constexpr const char* select_holdings_sql =
  "SELECT user_id, symbol, quantity, held_quantity, cost_basis"
  " FROM holdings ORDER BY user_id, symbol";

void write_row(SQLite::Statement& s, const holding_row& h) {
  run(s, h.user, h.position.symbol, h.position.quantity, h.position.held_quantity,
      h.position.cost_basis);
}
holding_row read_holding(SQLite::Statement& s) {
  row_reader r(s);
  holding_row h;
  h.user = r.i64();
  h.position.symbol = r.text();
  h.position.quantity = r.i64();
  h.position.held_quantity = r.i64();
  h.position.cost_basis = r.i64();
  return h;
}

constexpr const char* upsert_order_sql =
  "INSERT INTO orders (id, user_id, symbol, side, order_type, validity, quantity, price,"
  " trigger_price, status, filled_quantity, filled_value, held_cash, exchange_order_id,"
  " reject_code, reject_message, idempotency_key, created_at, updated_at, held_unsettled,"
  " unsettled_due, fees)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,"
  " ?18, ?19, ?20, ?21, ?22)"
  " ON CONFLICT (id) DO UPDATE SET user_id = excluded.user_id, symbol = excluded.symbol,"
  " side = excluded.side, order_type = excluded.order_type, validity = excluded.validity,"
  " quantity = excluded.quantity, price = excluded.price,"
  " trigger_price = excluded.trigger_price, status = excluded.status,"
  " filled_quantity = excluded.filled_quantity, filled_value = excluded.filled_value,"
  " held_cash = excluded.held_cash, exchange_order_id = excluded.exchange_order_id,"
  " reject_code = excluded.reject_code, reject_message = excluded.reject_message,"
  " idempotency_key = excluded.idempotency_key, created_at = excluded.created_at,"
  " updated_at = excluded.updated_at, held_unsettled = excluded.held_unsettled,"
  " unsettled_due = excluded.unsettled_due, fees = excluded.fees";
constexpr const char* select_orders_sql =
  "SELECT id, user_id, symbol, side, order_type, validity, quantity, price, trigger_price,"
  " status, filled_quantity, filled_value, held_cash, exchange_order_id, reject_code,"
  " reject_message, idempotency_key, created_at, updated_at, held_unsettled, unsettled_due,"
  " fees FROM orders ORDER BY id";

void write_row(SQLite::Statement& s, const order& o) {
  run(s, o.id, o.user, o.symbol, to_string(o.side), to_string(o.type), to_string(o.validity),
      o.quantity, o.price, o.trigger_price, to_string(o.status), o.filled_quantity,
      o.filled_value, o.held_cash, o.exchange_order_id, o.reject_code, o.reject_message,
      o.idempotency_key, o.created_at, o.updated_at, o.held_unsettled, o.unsettled_due, o.fees);
}
order read_order(SQLite::Statement& s) {
  row_reader r(s);
  order o;
  o.id = r.i64();
  o.user = r.i64();
  o.symbol = r.text();
  o.side = r.wire(parse_side, "orders.side");
  o.type = r.wire(parse_order_type, "orders.order_type");
  o.validity = r.wire(parse_validity, "orders.validity");
  o.quantity = r.i64();
  o.price = r.i64();
  o.trigger_price = r.i64();
  o.status = r.wire(parse_order_status, "orders.status");
  o.filled_quantity = r.i64();
  o.filled_value = r.i64();
  o.held_cash = r.i64();
  o.exchange_order_id = r.text();
  o.reject_code = r.text();
  o.reject_message = r.text();
  o.idempotency_key = r.text();
  o.created_at = r.i64();
  o.updated_at = r.i64();
  o.held_unsettled = r.i64();
  o.unsettled_due = r.i64();
  o.fees = r.i64();
  return o;
}

// Insert-once: the conflict target is named so that only a replayed exec_id
// is ignored, never some other uniqueness violation a later migration adds.
constexpr const char* insert_execution_sql =
  "INSERT INTO executions (exec_id, order_id, user_id, exchange_order_id, kind,"
  " last_quantity, last_price, cum_quantity, leaves_quantity, report_text, exec_time,"
  " symbol, side, brokerage, stt, exchange_charges, sebi_fees, stamp_duty, gst)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)"
  " ON CONFLICT (exec_id) DO NOTHING";
// rowid is insertion order: rows are never deleted, so each new rowid is the
// largest so far plus one.
constexpr const char* execution_columns =
  "SELECT exec_id, order_id, user_id, exchange_order_id, kind, last_quantity, last_price,"
  " cum_quantity, leaves_quantity, report_text, exec_time, symbol, side, brokerage, stt,"
  " exchange_charges, sebi_fees, stamp_duty, gst FROM executions";

void write_row(SQLite::Statement& s, const execution_row& e) {
  const execution_report& x = e.report;
  run(s, x.exec_id, x.client_order_id, e.user, x.exchange_order_id, to_string(x.kind),
      x.last_quantity, x.last_price, x.cum_quantity, x.leaves_quantity, x.text, x.time,
      e.symbol, to_string(e.side), e.fees.brokerage, e.fees.stt, e.fees.exchange, e.fees.sebi,
      e.fees.stamp, e.fees.gst);
}
execution_row read_execution(SQLite::Statement& s) {
  row_reader r(s);
  execution_row e;
  execution_report& x = e.report;
  x.exec_id = r.text();
  x.client_order_id = r.i64();
  e.user = r.i64();
  x.exchange_order_id = r.text();
  x.kind = r.wire(parse_exec_kind, "executions.kind");
  x.last_quantity = r.i64();
  x.last_price = r.i64();
  x.cum_quantity = r.i64();
  x.leaves_quantity = r.i64();
  x.text = r.text();
  x.time = r.i64();
  e.symbol = r.text();
  e.side = r.wire(parse_side, "executions.side");
  e.fees.brokerage = r.i64();
  e.fees.stt = r.i64();
  e.fees.exchange = r.i64();
  e.fees.sebi = r.i64();
  e.fees.stamp = r.i64();
  e.fees.gst = r.i64();
  return e;
}

// Insert-once, like executions: an entry is never rewritten, and a batch
// committed again (PostgreSQL retries one whose acknowledgement was lost) must
// not fail on its own rows. The CHECK constraint refuses an entry that does
// not balance, failing the whole batch.
constexpr const char* insert_journal_sql =
  "INSERT INTO journal (id, user_id, at, kind, reference, user_cash, user_unsettled,"
  " user_held, house_settlement, house_fees, statutory_charges, bank)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
  " ON CONFLICT (id) DO NOTHING";
constexpr const char* select_journal_sql =
  "SELECT id, user_id, at, kind, reference, user_cash, user_unsettled, user_held,"
  " house_settlement, house_fees, statutory_charges, bank FROM journal ORDER BY id";

void write_row(SQLite::Statement& s, const journal_entry& e) {
  const auto& a = e.amounts;
  run(s, e.id, e.user, e.at, to_string(e.kind), e.reference, a[0], a[1], a[2], a[3], a[4],
      a[5], a[6]);
}
journal_entry read_journal_entry(SQLite::Statement& s) {
  row_reader r(s);
  journal_entry e;
  e.id = r.i64();
  e.user = r.i64();
  e.at = r.i64();
  e.kind = r.wire(parse_journal_kind, "journal.kind");
  e.reference = r.text();
  for (auto& amount : e.amounts)
    amount = r.i64();
  return e;
}

constexpr const char* upsert_settlement_sql =
  "INSERT INTO settlements (user_id, due_day, amount) VALUES (?1, ?2, ?3)"
  " ON CONFLICT (user_id, due_day) DO UPDATE SET amount = excluded.amount";
constexpr const char* select_settlements_sql =
  "SELECT user_id, due_day, amount FROM settlements WHERE amount > 0 ORDER BY user_id, due_day";

void write_row(SQLite::Statement& s, const settlement_row& st) {
  run(s, st.user, st.due_day, st.amount);
}
settlement_row read_settlement(SQLite::Statement& s) {
  row_reader r(s);
  settlement_row st;
  st.user = r.i64();
  st.due_day = r.i64();
  st.amount = r.i64();
  return st;
}

constexpr const char* upsert_transfer_sql =
  "INSERT INTO transfers (user_id, id, kind, amount, status, gateway_reference,"
  " failure_reason, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
  " ON CONFLICT (user_id, id) DO UPDATE SET kind = excluded.kind, amount = excluded.amount,"
  " status = excluded.status, gateway_reference = excluded.gateway_reference,"
  " failure_reason = excluded.failure_reason, created_at = excluded.created_at,"
  " updated_at = excluded.updated_at";
constexpr const char* select_transfers_sql =
  "SELECT user_id, id, kind, amount, status, gateway_reference, failure_reason, created_at,"
  " updated_at FROM transfers ORDER BY user_id, id";

void write_row(SQLite::Statement& s, const transfer& t) {
  run(s, t.user, t.id, to_string(t.kind), t.amount, to_string(t.status), t.gateway_reference,
      t.failure_reason, t.created_at, t.updated_at);
}
transfer read_transfer(SQLite::Statement& s) {
  row_reader r(s);
  transfer t;
  t.user = r.i64();
  t.id = r.i64();
  t.kind = r.wire(parse_transfer_kind, "transfers.kind");
  t.amount = r.i64();
  t.status = r.wire(parse_transfer_status, "transfers.status");
  t.gateway_reference = r.text();
  t.failure_reason = r.text();
  t.created_at = r.i64();
  t.updated_at = r.i64();
  return t;
}

// Insert-once, like executions: the first request digest for a key stands.
constexpr const char* insert_idempotency_sql =
  "INSERT INTO idempotency (user_id, idempotency_key, request_digest, order_id)"
  " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (order_id) DO NOTHING";
constexpr const char* select_idempotency_sql =
  "SELECT user_id, idempotency_key, request_digest, order_id FROM idempotency"
  " ORDER BY user_id, idempotency_key";

void write_row(SQLite::Statement& s, const idempotency_entry& i) {
  run(s, i.user, i.key, i.request_digest, i.order);
}
idempotency_entry read_idempotency(SQLite::Statement& s) {
  row_reader r(s);
  idempotency_entry i;
  i.user = r.i64();
  i.key = r.text();
  i.request_digest = r.text();
  i.order = r.i64();
  return i;
}

constexpr const char* upsert_alert_sql =
  "INSERT INTO alerts (user_id, id, symbol, condition, price, status, triggered_price,"
  " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
  " ON CONFLICT (user_id, id) DO UPDATE SET symbol = excluded.symbol,"
  " condition = excluded.condition, price = excluded.price, status = excluded.status,"
  " triggered_price = excluded.triggered_price, created_at = excluded.created_at,"
  " updated_at = excluded.updated_at";
constexpr const char* select_alerts_sql =
  "SELECT user_id, id, symbol, condition, price, status, triggered_price, created_at, updated_at"
  " FROM alerts ORDER BY user_id, id";

void write_row(SQLite::Statement& s, const price_alert& a) {
  run(s, a.user, a.id, a.symbol, to_string(a.condition), a.price, to_string(a.status),
      a.triggered_price, a.created_at, a.updated_at);
}
price_alert read_alert(SQLite::Statement& s) {
  row_reader r(s);
  price_alert a;
  a.user = r.i64();
  a.id = r.i64();
  a.symbol = r.text();
  a.condition = r.wire(parse_alert_condition, "alerts.condition");
  a.price = r.i64();
  a.status = r.wire(parse_alert_status, "alerts.status");
  a.triggered_price = r.i64();
  a.created_at = r.i64();
  a.updated_at = r.i64();
  return a;
}

constexpr const char* upsert_candle_sql =
  "INSERT INTO candles (symbol, start, open, high, low, close, volume)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (symbol, start) DO UPDATE SET"
  " open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close,"
  " volume = excluded.volume";
constexpr const char* select_candles_since_sql =
  "SELECT symbol, start, open, high, low, close, volume FROM candles WHERE start >= ?1"
  " ORDER BY symbol, start";
constexpr const char* select_candles_of_sql =
  "SELECT symbol, start, open, high, low, close, volume FROM candles"
  " WHERE symbol = ?1 AND start >= ?2 AND start < ?3 ORDER BY start";

void write_row(SQLite::Statement& s, const candle& c) {
  run(s, c.symbol, c.start, c.open, c.high, c.low, c.close, c.volume);
}
candle read_candle(SQLite::Statement& s) {
  row_reader r(s);
  candle c;
  c.symbol = r.text();
  c.start = r.i64();
  c.open = r.i64();
  c.high = r.i64();
  c.low = r.i64();
  c.close = r.i64();
  c.volume = r.i64();
  return c;
}

// Insert-once: a notification is written with its event and never rewritten,
// except for is_read, which only a notification_read sets.
constexpr const char* insert_notification_sql =
  "INSERT INTO notifications (id, user_id, at, kind, reference, message, is_read)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (id) DO NOTHING";
constexpr const char* select_notifications_sql =
  "SELECT id, user_id, at, kind, reference, message, is_read FROM notifications ORDER BY id";
// The user is checked too: an id is only ever marked by its owner's account.
constexpr const char* mark_read_sql =
  "UPDATE notifications SET is_read = 1 WHERE id = ?2 AND user_id = ?1";

void write_row(SQLite::Statement& s, const notification& n) {
  run(s, n.id, n.user, n.at, to_string(n.kind), n.reference, n.message, int64_t{n.read ? 1 : 0});
}
void write_row(SQLite::Statement& s, const notification_read& r) { run(s, r.user, r.id); }
notification read_notification(SQLite::Statement& s) {
  row_reader r(s);
  notification n;
  n.id = r.i64();
  n.user = r.i64();
  n.at = r.i64();
  n.kind = r.wire(parse_notification_kind, "notifications.kind");
  n.reference = r.text();
  n.message = r.text();
  n.read = r.i64() != 0;
  return n;
}

constexpr const char* upsert_watchlist_sql =
  "INSERT INTO watchlists (user_id, id, name, symbols, deleted, created_at, updated_at)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (user_id, id) DO UPDATE SET"
  " name = excluded.name, symbols = excluded.symbols, deleted = excluded.deleted,"
  " created_at = excluded.created_at, updated_at = excluded.updated_at";
constexpr const char* select_watchlists_sql =
  "SELECT user_id, id, name, symbols, deleted, created_at, updated_at FROM watchlists"
  " ORDER BY user_id, id";

void write_row(SQLite::Statement& s, const watchlist& w) {
  run(s, w.user, w.id, w.name, join_symbols(w.symbols), int64_t{w.deleted ? 1 : 0}, w.created_at,
      w.updated_at);
}
watchlist read_watchlist(SQLite::Statement& s) {
  row_reader r(s);
  watchlist w;
  w.user = r.i64();
  w.id = r.i64();
  w.name = r.text();
  w.symbols = split_symbols(r.text());
  w.deleted = r.i64() != 0;
  w.created_at = r.i64();
  w.updated_at = r.i64();
  return w;
}

// ---- The operator console's rows ----------------------------------------------
// Written one call at a time, outside write_batch (store.hpp).

// Insert-once: a name already taken keeps its row, and the caller is told.
constexpr const char* insert_operator_sql =
  "INSERT INTO operators (name, password_hash, created_at, disabled) VALUES (?1, ?2, ?3, ?4)"
  " ON CONFLICT (name) DO NOTHING";
constexpr const char* select_operators_sql =
  "SELECT name, password_hash, created_at, disabled FROM operators ORDER BY name";
constexpr const char* select_operator_sql =
  "SELECT name, password_hash, created_at, disabled FROM operators WHERE name = ?1";

// Answers 1 if written, 0 if the name was taken.
int write_row(SQLite::Statement& s, const operator_account& a) {
  return run(s, a.name, a.password_hash, a.created_at, int64_t{a.disabled ? 1 : 0});
}
operator_account read_operator(SQLite::Statement& s) {
  row_reader r(s);
  operator_account a;
  a.name = r.text();
  a.password_hash = r.text();
  a.created_at = r.i64();
  a.disabled = r.i64() != 0;
  return a;
}

// No id: the table's AUTOINCREMENT assigns it (migration 8).
constexpr const char* insert_audit_sql =
  "INSERT INTO audit_log (at, operator_name, remote_address, action, target, detail, status)"
  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
// A range of the rowid, read backwards: ?1 is the largest id wanted.
constexpr const char* select_audit_sql =
  "SELECT id, at, operator_name, remote_address, action, target, detail, status FROM audit_log"
  " WHERE id <= ?1 ORDER BY id DESC LIMIT ?2";

void write_row(SQLite::Statement& s, const audit_entry& e) {
  run(s, e.at, e.operator_name, e.remote_address, e.action, e.target, e.detail,
      int64_t{e.status});
}
audit_entry read_audit_entry(SQLite::Statement& s) {
  row_reader r(s);
  audit_entry e;
  e.id = r.i64();
  e.at = r.i64();
  e.operator_name = r.text();
  e.remote_address = r.text();
  e.action = r.text();
  e.target = r.text();
  e.detail = r.text();
  e.status = static_cast<int>(r.i64());
  return e;
}

constexpr const char* upsert_halt_sql =
  "INSERT INTO trading_halts (symbol, reason, since, operator_name) VALUES (?1, ?2, ?3, ?4)"
  " ON CONFLICT (symbol) DO UPDATE SET reason = excluded.reason, since = excluded.since,"
  " operator_name = excluded.operator_name";
constexpr const char* delete_halt_sql = "DELETE FROM trading_halts WHERE symbol = ?1";
constexpr const char* select_halts_sql =
  "SELECT symbol, reason, since, operator_name FROM trading_halts ORDER BY symbol";

void write_row(SQLite::Statement& s, const stored_halt& h) {
  run(s, h.symbol, h.reason, h.since, h.operator_name);
}
stored_halt read_halt(SQLite::Statement& s) {
  row_reader r(s);
  stored_halt h;
  h.symbol = r.text();
  h.reason = r.text();
  h.since = r.i64();
  h.operator_name = r.text();
  return h;
}

template <class T>
void write_all(SQLite::Statement& s, const std::vector<T>& rows) {
  for (const T& row : rows)
    write_row(s, row);
}

template <class T>
void read_all(SQLite::Statement& s, std::vector<T>& out, T (*read)(SQLite::Statement&)) {
  reset_guard guard(s);
  while (s.executeStep())
    out.push_back(read(s));
}

// ---- Connections --------------------------------------------------------------

// Every connection here is used by one thread at a time, under its own
// std::mutex (writer, reader) or by one thread only (checkpointer), so
// SQLite's own per-call connection mutex is redundant: NOMUTEX drops it.
// Debian's build also counts every allocation under a global mutex
// (memstatus), which nothing here reads; that can only be turned off before
// SQLite initializes, so it is done once, before the first connection opens.
// Together they were ~12% of the persistence thread's CPU at 20k orders/s.
const int connection_threading = [] {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); // SQLITE_MISUSE if already initialized: harmless
  return SQLite::OPEN_NOMUTEX;
}();

SQLite::Database open_write_connection(const std::string& path, const sqlite_options& opts) {
  try {
    // Coalescing is safe only when every commit syncs the WAL (see its header).
    bool coalesce = opts.coalesce_wal_writes && opts.synchronous_full;
    SQLite::Database db(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | connection_threading,
                        opts.busy_timeout_ms, !opts.vfs.empty() ? opts.vfs.c_str() : coalesce ? wal_coalescing_vfs() : "");
    // WAL is persistent in the file; the reader's concurrency depends on it,
    // so a database that can't switch (":memory:") is refused.
    std::string mode = db.execAndGet("PRAGMA journal_mode = WAL").getString();
    if (mode != "wal")
      throw store_error("sqlite open " + path + ": journal_mode is '" + mode + "', need 'wal'");
    db.exec(opts.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
    // Off on purpose (and stated, since builds differ in the default): the
    // schema has no foreign keys, see migrations.cpp.
    db.exec("PRAGMA foreign_keys = OFF");
    // The writer touches the same hot pages (accounts, recent orders) every
    // flush: keep them cached (64 MiB; the default 2 MiB spills under load),
    // and checkpoint less often so fewer commits pay for a checkpoint's fsync.
    db.exec("PRAGMA cache_size = -65536");
    if (opts.background_checkpoint_pages == 0)
      db.exec("PRAGMA wal_autocheckpoint = 10000");
    apply_migrations(db);
    return db;
  } catch (const SQLite::Exception& e) {
    fail("open " + path, e);
  }
}

SQLite::Database open_read_connection(const std::string& path, const sqlite_options& opts) {
  try {
    return SQLite::Database(path, SQLite::OPEN_READONLY | connection_threading,
                            opts.busy_timeout_ms, opts.vfs);
  } catch (const SQLite::Exception& e) {
    fail("open (read) " + path, e);
  }
}

} // namespace

// Members are destroyed in reverse order: statements before their database,
// whose close would otherwise fail with unfinalized statements.
struct sqlite_store::writer {
  std::mutex mutex; // one commit at a time on this connection
  SQLite::Database db;
  SQLite::Statement upsert_user;
  SQLite::Statement upsert_account;
  SQLite::Statement upsert_holding;
  SQLite::Statement upsert_order;
  SQLite::Statement insert_execution;
  SQLite::Statement upsert_transfer;
  SQLite::Statement insert_idempotency;
  SQLite::Statement upsert_candle;
  SQLite::Statement upsert_alert;
  SQLite::Statement insert_journal;
  SQLite::Statement upsert_settlement;
  SQLite::Statement insert_notification;
  SQLite::Statement mark_read;
  SQLite::Statement upsert_watchlist;
  SQLite::Statement insert_operator;
  SQLite::Statement insert_audit;
  SQLite::Statement upsert_halt;
  SQLite::Statement delete_halt;

  writer(const std::string& path, const sqlite_options& opts)
    : db(open_write_connection(path, opts)),
      upsert_user(db, upsert_user_sql),
      upsert_account(db, upsert_account_sql),
      upsert_holding(db, upsert_holding_sql),
      upsert_order(db, upsert_order_sql),
      insert_execution(db, insert_execution_sql),
      upsert_transfer(db, upsert_transfer_sql),
      insert_idempotency(db, insert_idempotency_sql),
      upsert_candle(db, upsert_candle_sql),
      upsert_alert(db, upsert_alert_sql),
      insert_journal(db, insert_journal_sql),
      upsert_settlement(db, upsert_settlement_sql),
      insert_notification(db, insert_notification_sql),
      mark_read(db, mark_read_sql),
      upsert_watchlist(db, upsert_watchlist_sql),
      insert_operator(db, insert_operator_sql),
      insert_audit(db, insert_audit_sql),
      upsert_halt(db, upsert_halt_sql),
      delete_halt(db, delete_halt_sql) {}

  // A failed statement may or may not have ended the transaction (SQLite
  // rolls back by itself on some errors, e.g. SQLITE_FULL); either way the
  // connection must be back in autocommit, or every later BEGIN would fail.
  void ensure_rolled_back() noexcept {
    if (sqlite3_get_autocommit(db.getHandle()) == 0) {
      try {
        db.exec("ROLLBACK");
      } catch (const SQLite::Exception&) {
        // Nothing more to do; the next commit reports the state it finds.
      }
    }
  }
};

struct sqlite_store::reader {
  std::mutex mutex; // the connection and its statements are used by one thread at a time
  SQLite::Database db;
  SQLite::Statement select_users;
  SQLite::Statement select_accounts;
  SQLite::Statement select_holdings;
  SQLite::Statement select_orders;
  SQLite::Statement select_executions;
  SQLite::Statement select_executions_of;
  SQLite::Statement select_transfers;
  SQLite::Statement select_idempotency;
  SQLite::Statement select_candles_since;
  SQLite::Statement select_candles_of;
  SQLite::Statement select_alerts;
  SQLite::Statement select_journal;
  SQLite::Statement select_settlements;
  SQLite::Statement select_notifications;
  SQLite::Statement select_watchlists;
  SQLite::Statement select_operators;
  SQLite::Statement select_operator;
  SQLite::Statement select_audit;
  SQLite::Statement select_halts;
  // The same reads for one user (?1): an account's reload.
  struct one_user {
    SQLite::Statement users, accounts, holdings, orders, executions, transfers, idempotency, alerts, journal,
      settlements, notifications, watchlists;
  };
  std::unique_ptr<one_user> of_user; // prepared on first use
  std::unique_ptr<SQLite::Statement> alerts_of_symbol; // likewise

  reader(const std::string& path, const sqlite_options& opts)
    : db(open_read_connection(path, opts)),
      select_users(db, select_users_sql),
      select_accounts(db, select_accounts_sql),
      select_holdings(db, select_holdings_sql),
      select_orders(db, select_orders_sql),
      select_executions(db, std::string(execution_columns) + " ORDER BY rowid"),
      select_executions_of(db, std::string(execution_columns)
                                 + " WHERE order_id = ?1 ORDER BY rowid"),
      select_transfers(db, select_transfers_sql),
      select_idempotency(db, select_idempotency_sql),
      select_candles_since(db, select_candles_since_sql),
      select_candles_of(db, select_candles_of_sql),
      select_alerts(db, select_alerts_sql),
      select_journal(db, select_journal_sql),
      select_settlements(db, select_settlements_sql),
      select_notifications(db, select_notifications_sql),
      select_watchlists(db, select_watchlists_sql),
      select_operators(db, select_operators_sql),
      select_operator(db, select_operator_sql),
      select_audit(db, select_audit_sql),
      select_halts(db, select_halts_sql) {}
};

// Checkpoints off the commit path. The writer's WAL hook (run after every
// commit, on the committing thread, write lock held) wakes this thread once
// the WAL holds `threshold` pages; a PASSIVE checkpoint never blocks the
// writer. But the WAL only starts over from its beginning when a checkpoint
// has copied every frame, and under steady load new frames arrive while the
// background pass runs. So once a pass has copied all but a short tail, the
// hook copies that tail itself (a few pages and one fsync of the database
// file), and the next transaction reuses the WAL from the start.
struct sqlite_store::checkpointer {
  SQLite::Database db;
  const int threshold;
  const int tail_pages;
  const int hard_limit;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable idle; // a background pass ended
  bool due = false;
  bool stopping = false;
  bool running = false;   // a background pass is under way
  int pass_wal_pages = 0; // the WAL's size when the last pass ended...
  int pass_copied = 0;    // ...and how much of it that pass had copied (0, 0: none since)
  std::thread thread;     // started once the connection is ready

  checkpointer(const std::string& path, const sqlite_options& opts)
    : db(path, SQLite::OPEN_READWRITE | connection_threading, opts.busy_timeout_ms, opts.vfs),
      threshold(opts.background_checkpoint_pages),
      tail_pages(std::max(16, opts.background_checkpoint_pages / 4)),
      hard_limit(opts.wal_pages_hard_limit), thread() {
    // A connection opens the WAL on its first read; until then it can't checkpoint.
    db.execAndGet("PRAGMA journal_mode");
    thread = std::thread([this] { run(); });
  }

  ~checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stopping = true;
    }
    wake.notify_one();
    thread.join();
  }

  void run() {
    std::unique_lock<std::mutex> lock(mutex);
    while (true) {
      // Not while the writer checkpoints itself (hard limit): one at a time.
      wake.wait(lock, [this] { return (due && !running) || stopping; });
      if (stopping)
        return;
      due = false;
      running = true;
      lock.unlock();
      int wal_pages = 0, copied = 0;
      int rc = sqlite3_wal_checkpoint_v2(db.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &wal_pages, &copied);
      if (rc != SQLITE_OK && rc != SQLITE_BUSY) // BUSY: another checkpoint ran; next time
        std::fprintf(stderr, "sqlite: background checkpoint failed: %s\n", sqlite3_errstr(rc));
      lock.lock();
      running = false;
      if (rc == SQLITE_OK) {
        pass_wal_pages = wal_pages;
        pass_copied = copied;
      }
      idle.notify_all();
    }
  }

  static void checkpoint_here(sqlite3* db, const char* name) {
    sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }

  // sqlite3_wal_hook callback.
  static int on_commit(void* self, sqlite3* writer_db, const char* name, int wal_pages) {
    auto* c = static_cast<checkpointer*>(self);
    if (wal_pages < c->threshold)
      return SQLITE_OK;
    std::unique_lock<std::mutex> lock(c->mutex);
    if (wal_pages >= c->hard_limit) {
      // The background has fallen far behind: let its pass end (a second
      // checkpoint could not run beside it), then copy everything here.
      c->idle.wait(lock, [c] { return !c->running; });
      c->running = true;
      lock.unlock();
      checkpoint_here(writer_db, name);
      lock.lock();
      c->running = false;
      c->pass_wal_pages = c->pass_copied = 0;
      c->wake.notify_one(); // a pass asked for meanwhile may run now
      return SQLITE_OK;
    }
    if (c->running)
      return SQLITE_OK;
    // A pass over this same WAL (it has not started over since: the WAL only
    // grows until then) left only a short tail: copy it here.
    bool same_wal = c->pass_wal_pages > 0 && c->pass_wal_pages <= wal_pages;
    if (same_wal && wal_pages - c->pass_copied <= c->tail_pages) {
      c->pass_wal_pages = c->pass_copied = 0;
      lock.unlock();
      checkpoint_here(writer_db, name);
      return SQLITE_OK;
    }
    if (!c->due) {
      c->due = true;
      c->wake.notify_one();
    }
    return SQLITE_OK;
  }
};

sqlite_store::sqlite_store(const std::string& path, sqlite_options opts) {
  try {
    writer_ = std::make_unique<writer>(path, opts);
    reader_ = std::make_unique<reader>(path, opts);
    if (opts.background_checkpoint_pages > 0) {
      checkpointer_ = std::make_unique<checkpointer>(path, opts);
      sqlite3_wal_hook(writer_->db.getHandle(), &checkpointer::on_commit, checkpointer_.get());
    }
  } catch (const SQLite::Exception& e) {
    fail("open " + path, e); // preparing a statement failed
  }
}

sqlite_store::~sqlite_store() {
  if (checkpointer_)
    sqlite3_wal_hook(writer_->db.getHandle(), nullptr, nullptr); // before the hook's target goes
}

void sqlite_store::commit(const write_batch& batch) {
  if (batch.empty())
    return; // no transaction, no fsync
  writer& w = *writer_;
  std::lock_guard<std::mutex> lock(w.mutex);
  try {
    // IMMEDIATE takes the write lock up front, so lock waits happen (under
    // busy_timeout) before any row is written, never halfway through.
    SQLite::Transaction tx(w.db, SQLite::TransactionBehavior::IMMEDIATE);
    write_all(w.upsert_user, batch.users);
    write_all(w.upsert_account, batch.accounts);
    write_all(w.upsert_holding, batch.holdings);
    write_all(w.upsert_order, batch.orders);
    write_all(w.insert_execution, batch.executions);
    write_all(w.upsert_transfer, batch.transfers);
    write_all(w.insert_idempotency, batch.idempotency);
    write_all(w.upsert_candle, batch.candles);
    write_all(w.upsert_alert, batch.alerts);
    write_all(w.insert_journal, batch.journal);
    write_all(w.upsert_settlement, batch.settlements);
    write_all(w.insert_notification, batch.notifications);
    write_all(w.mark_read, batch.notification_reads);
    write_all(w.upsert_watchlist, batch.watchlists);
    tx.commit();
    // Leaving the scope without commit() rolls the whole batch back.
  } catch (const SQLite::Exception& e) {
    w.ensure_rolled_back();
    fail("commit", e);
  }
}

store_snapshot sqlite_store::load_user(user_id u) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    if (!r.of_user) {
      auto& db = r.db;
      auto prepare = [&](const std::string& sql, const char* column) {
        return SQLite::Statement(db, rows_where(sql, column, "?1"));
      };
      r.of_user.reset(new reader::one_user{
        prepare(select_users_sql, "id"), prepare(select_accounts_sql, "user_id"),
        prepare(select_holdings_sql, "user_id"), prepare(select_orders_sql, "user_id"),
        prepare(std::string(execution_columns) + " ORDER BY rowid", "user_id"),
        prepare(select_transfers_sql, "user_id"), prepare(select_idempotency_sql, "user_id"),
        prepare(select_alerts_sql, "user_id"), prepare(select_journal_sql, "user_id"),
        prepare(select_settlements_sql, "user_id"), prepare(select_notifications_sql, "user_id"),
        prepare(select_watchlists_sql, "user_id")});
    }
    auto& q = *r.of_user;
    for (auto* st : {&q.users, &q.accounts, &q.holdings, &q.orders, &q.executions, &q.transfers, &q.idempotency,
                     &q.alerts, &q.journal, &q.settlements, &q.notifications, &q.watchlists})
      st->bind(1, static_cast<int64_t>(u));
    SQLite::Transaction tx(r.db, SQLite::TransactionBehavior::DEFERRED);
    store_snapshot snap;
    read_all(q.users, snap.users, read_user);
    read_all(q.accounts, snap.accounts, read_account);
    read_all(q.holdings, snap.holdings, read_holding);
    read_all(q.orders, snap.orders, read_order);
    read_all(q.executions, snap.executions, read_execution);
    read_all(q.transfers, snap.transfers, read_transfer);
    read_all(q.alerts, snap.alerts, read_alert);
    read_all(q.idempotency, snap.idempotency, read_idempotency);
    read_all(q.journal, snap.journal, read_journal_entry);
    read_all(q.settlements, snap.settlements, read_settlement);
    read_all(q.notifications, snap.notifications, read_notification);
    read_all(q.watchlists, snap.watchlists, read_watchlist);
    tx.commit();
    return snap;
  } catch (const SQLite::Exception& e) {
    fail("load_user", e);
  }
}

std::vector<price_alert> sqlite_store::active_alerts_of(const std::string& symbol) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    if (!r.alerts_of_symbol)
      r.alerts_of_symbol = std::make_unique<SQLite::Statement>(r.db, rows_where(select_alerts_sql, "symbol", "?1"));
    r.alerts_of_symbol->bind(1, symbol);
    std::vector<price_alert> rows;
    read_all(*r.alerts_of_symbol, rows, read_alert);
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const price_alert& a) { return a.status != alert_status::active; }),
               rows.end());
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("active_alerts_of", e);
  }
}

store_snapshot sqlite_store::load() {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    // One read transaction, so every table is read from the same commit: a
    // concurrent commit is seen entirely or not at all.
    SQLite::Transaction tx(r.db, SQLite::TransactionBehavior::DEFERRED);
    store_snapshot snap;
    read_all(r.select_users, snap.users, read_user);
    read_all(r.select_accounts, snap.accounts, read_account);
    read_all(r.select_holdings, snap.holdings, read_holding);
    read_all(r.select_orders, snap.orders, read_order);
    read_all(r.select_executions, snap.executions, read_execution);
    read_all(r.select_transfers, snap.transfers, read_transfer);
    read_all(r.select_alerts, snap.alerts, read_alert);
    read_all(r.select_idempotency, snap.idempotency, read_idempotency);
    read_all(r.select_journal, snap.journal, read_journal_entry);
    read_all(r.select_settlements, snap.settlements, read_settlement);
    read_all(r.select_notifications, snap.notifications, read_notification);
    read_all(r.select_watchlists, snap.watchlists, read_watchlist);
    tx.commit(); // ends the read transaction; nothing was written
    return snap;
  } catch (const SQLite::Exception& e) {
    fail("load", e);
  }
}

std::vector<candle> sqlite_store::candles_since(timestamp from) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<candle> rows;
    r.select_candles_since.bind(1, static_cast<int64_t>(from));
    read_all(r.select_candles_since, rows, read_candle);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("candles_since", e);
  }
}

std::vector<candle> sqlite_store::candles_of(const std::string& symbol, timestamp from,
                                            timestamp to) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<candle> rows;
    r.select_candles_of.bind(1, symbol);
    r.select_candles_of.bind(2, static_cast<int64_t>(from));
    r.select_candles_of.bind(3, static_cast<int64_t>(to));
    read_all(r.select_candles_of, rows, read_candle);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("candles_of", e);
  }
}

std::vector<execution_row> sqlite_store::executions_of(order_id id) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<execution_row> rows;
    r.select_executions_of.bind(1, static_cast<int64_t>(id));
    read_all(r.select_executions_of, rows, read_execution);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("executions_of", e);
  }
}

// ---- The operator console's rows ----------------------------------------------
// Each write is one statement in autocommit mode: its own transaction, synced
// as a commit is (synchronous). On the writer connection, under its mutex, so
// it never lands inside a commit()'s transaction; reads go to the reader.

bool sqlite_store::add_operator(const operator_account& a) {
  writer& w = *writer_;
  std::lock_guard<std::mutex> lock(w.mutex);
  try {
    return write_row(w.insert_operator, a) == 1;
  } catch (const SQLite::Exception& e) {
    fail("add_operator", e);
  }
}

std::optional<operator_account> sqlite_store::find_operator(const std::string& name) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<operator_account> rows;
    r.select_operator.bind(1, name);
    read_all(r.select_operator, rows, read_operator);
    if (rows.empty())
      return std::nullopt;
    return std::move(rows.front()); // the primary key: at most one
  } catch (const SQLite::Exception& e) {
    fail("find_operator", e);
  }
}

std::vector<operator_account> sqlite_store::operators() {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<operator_account> rows;
    read_all(r.select_operators, rows, read_operator);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("operators", e);
  }
}

int64_t sqlite_store::append_audit(const audit_entry& e) {
  writer& w = *writer_;
  std::lock_guard<std::mutex> lock(w.mutex);
  try {
    write_row(w.insert_audit, e);
    // The insert's rowid: no other statement ran on this connection since (mutex).
    return w.db.getLastInsertRowid();
  } catch (const SQLite::Exception& x) {
    fail("append_audit", x);
  }
}

std::vector<audit_entry> sqlite_store::audit_log(int64_t before_id, size_t limit) {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    // "id < before_id" as "id <= before_id - 1": "from the newest" is then
    // id <= INT64_MAX, no sentinel id left out. A limit past INT64_MAX is no limit.
    const int64_t last = before_id > 0 ? before_id - 1 : std::numeric_limits<int64_t>::max();
    const auto most = static_cast<int64_t>(
      std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
    std::vector<audit_entry> rows;
    r.select_audit.bind(1, last);
    r.select_audit.bind(2, most);
    read_all(r.select_audit, rows, read_audit_entry);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("audit_log", e);
  }
}

void sqlite_store::put_halt(const stored_halt& h) {
  writer& w = *writer_;
  std::lock_guard<std::mutex> lock(w.mutex);
  try {
    write_row(w.upsert_halt, h);
  } catch (const SQLite::Exception& e) {
    fail("put_halt", e);
  }
}

void sqlite_store::remove_halt(const std::string& symbol) {
  writer& w = *writer_;
  std::lock_guard<std::mutex> lock(w.mutex);
  try {
    run(w.delete_halt, symbol); // no row: nothing to do, not an error
  } catch (const SQLite::Exception& e) {
    fail("remove_halt", e);
  }
}

std::vector<stored_halt> sqlite_store::halts() {
  reader& r = *reader_;
  std::lock_guard<std::mutex> lock(r.mutex);
  try {
    std::vector<stored_halt> rows;
    read_all(r.select_halts, rows, read_halt);
    return rows;
  } catch (const SQLite::Exception& e) {
    fail("halts", e);
  }
}

} // namespace broker
