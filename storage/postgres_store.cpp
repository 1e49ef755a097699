#include "storage/postgres_store.hpp"
#include "storage/narrowed_reads.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "storage/migrations.hpp"

namespace broker {

// ---- Text and array literals -------------------------------------------------

namespace detail {

namespace {

constexpr std::string_view replacement_character = "\xEF\xBF\xBD"; // U+FFFD

// Length of the well-formed UTF-8 sequence (RFC 3629) starting at s[i], or 0
// when the byte there starts none. NUL counts as not well formed: PostgreSQL
// text can't hold it.
size_t sequence_length(std::string_view s, size_t i) {
  const auto byte = [&s](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char lead = byte(i);
  if (lead == 0)
    return 0;
  if (lead < 0x80)
    return 1;
  size_t length;
  unsigned char second_min = 0x80, second_max = 0xBF;
  if (lead < 0xC2) // a continuation byte, or an overlong two-byte lead
    return 0;
  if (lead < 0xE0) {
    length = 2;
  } else if (lead < 0xF0) {
    length = 3;
    if (lead == 0xE0)
      second_min = 0xA0; // overlong
    if (lead == 0xED)
      second_max = 0x9F; // UTF-16 surrogates
  } else if (lead < 0xF5) {
    length = 4;
    if (lead == 0xF0)
      second_min = 0x90; // overlong
    if (lead == 0xF4)
      second_max = 0x8F; // above U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < length || byte(i + 1) < second_min || byte(i + 1) > second_max)
    return 0;
  for (size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
      return 0;
  return length;
}

bool is_postgres_text(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0)
      return false;
    i += n;
  }
  return true;
}

} // namespace

std::string postgres_text(std::string_view s) {
  if (is_postgres_text(s))
    return std::string(s);
  std::string out;
  out.reserve(s.size() + 8);
  for (size_t i = 0; i < s.size();) {
    const size_t n = sequence_length(s, i);
    if (n == 0) {
      out += replacement_character; // one per offending byte
      i += 1;
    } else {
      out.append(s.data() + i, n);
      i += n;
    }
  }
  return out;
}

void array_literal::add(int64_t value) {
  if (count_++ > 0)
    text_ += ',';
  char digits[24];
  const auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  assert(ec == std::errc());
  (void)ec;
  text_.append(digits, end);
}

void array_literal::add(std::string_view text) {
  if (count_++ > 0)
    text_ += ',';
  std::string cleaned;
  if (!is_postgres_text(text)) {
    cleaned = postgres_text(text);
    text = cleaned;
  }
  // Inside double quotes only backslash and the quote itself are special.
  text_ += '"';
  for (char c : text) {
    if (c == '"' || c == '\\')
      text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

std::string array_literal::take() {
  text_ += '}';
  return std::move(text_);
}

} // namespace detail

namespace {

[[noreturn]] void fail(const std::string& what, const std::exception& e) {
  std::string message = e.what();
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back(); // server messages end in a newline
  throw store_error("postgres " + what + ": " + message);
}

// ---- Tables -----------------------------------------------------------------
// Each table's columns are listed once, here; the SQL is generated from the
// list, and the row encoder and reader of the table follow the same order.

struct column {
  const char* name;
  const char* type; // of one array element: bigint or text
};

struct table_spec {
  const char* statement; // prepared statement name on the writer
  const char* table;
  std::vector<column> columns;
  std::vector<std::string_view> key; // the conflict target: the primary key's columns
  bool insert_once; // true: a row already stored under the key stays as it is
};

// One statement for all of a batch's rows of a table: one array per column,
// unnest() turns them back into rows (in array order, which is the order the
// executions' identity column numbers them in). Upserts set every non-key
// column, as sqlite_store does. The conflict target is named so that only a
// replayed key is ignored, never some other uniqueness violation.
std::string insert_sql(const table_spec& t) {
  const auto is_key = [&t](std::string_view name) {
    return std::find(t.key.begin(), t.key.end(), name) != t.key.end();
  };
  std::string names, arrays, keys, updates;
  for (size_t i = 0; i < t.columns.size(); ++i) {
    const column& c = t.columns[i];
    const char* sep = i == 0 ? "" : ", ";
    names += sep + std::string(c.name);
    arrays += sep + ("$" + std::to_string(i + 1)) + "::" + c.type + "[]";
    if (!is_key(c.name))
      updates += (updates.empty() ? "" : ", ") + std::string(c.name) + " = excluded." + c.name;
  }
  for (std::string_view k : t.key)
    keys += (keys.empty() ? "" : ", ") + std::string(k);
  std::string sql = std::string("INSERT INTO ") + t.table + " (" + names + ") SELECT * FROM unnest("
                    + arrays + ") ON CONFLICT (" + keys + ") DO ";
  sql += t.insert_once ? std::string("NOTHING") : "UPDATE SET " + updates;
  return sql;
}

const table_spec users_table{
  "upsert_users", "users",
  {{"id", "bigint"}, {"email", "text"}, {"password_hash", "text"}, {"name", "text"},
   {"phone", "text"}, {"kyc", "text"}, {"pan", "text"}, {"date_of_birth", "text"},
   {"address", "text"}, {"kyc_reason", "text"}, {"created_at", "bigint"},
   {"trading_blocked", "bigint"}},
  {"id"}, false};

const table_spec accounts_table{
  "upsert_accounts", "accounts",
  {{"user_id", "bigint"}, {"cash", "bigint"}, {"next_transfer_id", "bigint"}},
  {"user_id"}, false};

const table_spec holdings_table{
  "upsert_holdings", "holdings",
  {{"user_id", "bigint"}, {"symbol", "text"}, {"quantity", "bigint"},
   {"held_quantity", "bigint"}, {"cost_basis", "bigint"}},
  {"user_id", "symbol"}, false};

const table_spec orders_table{
  "upsert_orders", "orders",
  {{"id", "bigint"}, {"user_id", "bigint"}, {"symbol", "text"}, {"side", "text"},
   {"order_type", "text"}, {"validity", "text"}, {"quantity", "bigint"}, {"price", "bigint"},
   {"trigger_price", "bigint"}, {"status", "text"}, {"filled_quantity", "bigint"},
   {"filled_value", "bigint"}, {"held_cash", "bigint"}, {"exchange_order_id", "text"},
   {"reject_code", "text"}, {"reject_message", "text"}, {"idempotency_key", "text"},
   {"created_at", "bigint"}, {"updated_at", "bigint"}, {"held_unsettled", "bigint"},
   {"unsettled_due", "bigint"}, {"fees", "bigint"}},
  {"id"}, false};

const table_spec executions_table{
  "insert_executions", "executions",
  {{"exec_id", "text"}, {"order_id", "bigint"}, {"user_id", "bigint"},
   {"exchange_order_id", "text"}, {"kind", "text"}, {"last_quantity", "bigint"},
   {"last_price", "bigint"}, {"cum_quantity", "bigint"}, {"leaves_quantity", "bigint"},
   {"report_text", "text"}, {"exec_time", "bigint"}, {"symbol", "text"}, {"side", "text"},
   {"brokerage", "bigint"}, {"stt", "bigint"}, {"exchange_charges", "bigint"},
   {"sebi_fees", "bigint"}, {"stamp_duty", "bigint"}, {"gst", "bigint"}},
  {"exec_id"}, true};

// Insert-once: an entry is never rewritten, and a batch retried after its
// acknowledgement was lost must not fail on its own rows. The table's CHECK
// refuses an entry that does not balance.
const table_spec journal_table{
  "insert_journal", "journal",
  {{"id", "bigint"}, {"user_id", "bigint"}, {"at", "bigint"}, {"kind", "text"},
   {"reference", "text"}, {"user_cash", "bigint"}, {"user_unsettled", "bigint"},
   {"user_held", "bigint"}, {"house_settlement", "bigint"}, {"house_fees", "bigint"},
   {"statutory_charges", "bigint"}, {"bank", "bigint"}},
  {"id"}, true};

const table_spec settlements_table{
  "upsert_settlements", "settlements",
  {{"user_id", "bigint"}, {"due_day", "bigint"}, {"amount", "bigint"}},
  {"user_id", "due_day"}, false};

const table_spec transfers_table{
  "upsert_transfers", "transfers",
  {{"user_id", "bigint"}, {"id", "bigint"}, {"kind", "text"}, {"amount", "bigint"},
   {"status", "text"}, {"gateway_reference", "text"}, {"failure_reason", "text"},
   {"created_at", "bigint"}, {"updated_at", "bigint"}},
  {"user_id", "id"}, false};

// Insert-once, like executions: the first request digest for an order stands.
const table_spec idempotency_table{
  "insert_idempotency", "idempotency",
  {{"user_id", "bigint"}, {"idempotency_key", "text"}, {"request_digest", "text"},
   {"order_id", "bigint"}},
  {"order_id"}, true};

const table_spec candles_table{
  "upsert_candles", "candles",
  {{"symbol", "text"}, {"start", "bigint"}, {"open", "bigint"}, {"high", "bigint"},
   {"low", "bigint"}, {"close", "bigint"}, {"volume", "bigint"}},
  {"symbol", "start"}, false};

const table_spec alerts_table{
  "upsert_alerts", "alerts",
  {{"user_id", "bigint"}, {"id", "bigint"}, {"symbol", "text"}, {"condition", "text"},
   {"price", "bigint"}, {"status", "text"}, {"triggered_price", "bigint"},
   {"created_at", "bigint"}, {"updated_at", "bigint"}},
  {"user_id", "id"}, false};

const table_spec notifications_table{
  "insert_notifications", "notifications",
  {{"id", "bigint"}, {"user_id", "bigint"}, {"at", "bigint"}, {"kind", "text"},
   {"reference", "text"}, {"message", "text"}, {"is_read", "bigint"}},
  {"id"}, true};

const table_spec watchlists_table{
  "upsert_watchlists", "watchlists",
  {{"user_id", "bigint"}, {"id", "bigint"}, {"name", "text"}, {"symbols", "text"},
   {"deleted", "bigint"}, {"created_at", "bigint"}, {"updated_at", "bigint"}},
  {"user_id", "id"}, false};

// Not an insert: the columns of the UPDATE's unnest (mark_read_sql).
const table_spec notification_reads_spec{
  "mark_notifications_read", "notifications", {{"user_id", "bigint"}, {"id", "bigint"}}, {}, false};
constexpr const char* mark_read_sql =
  "UPDATE notifications n SET is_read = 1 FROM unnest($1::bigint[], $2::bigint[]) AS r(user_id, id)"
  " WHERE n.id = r.id AND n.user_id = r.user_id";

const table_spec* const all_tables[] = {&users_table,     &accounts_table,  &holdings_table,
                                        &orders_table,    &executions_table, &transfers_table,
                                        &idempotency_table, &candles_table, &alerts_table,
                                        &journal_table,   &settlements_table,
                                        &notifications_table, &watchlists_table};

// A table's rows as one array literal per column.
class column_arrays {
public:
  explicit column_arrays(const table_spec& t) : table_(t), columns_(t.columns.size()) {}

  template <class... Values>
  void row(const Values&... values) {
    assert(sizeof...(values) == columns_.size()); // the encoder follows the spec
    size_t i = 0;
    (columns_[i++].add(values), ...);
  }

  // Statement name and its parameters, one per column.
  std::pair<const char*, std::vector<std::string>> take() {
    std::vector<std::string> params;
    params.reserve(columns_.size());
    for (detail::array_literal& c : columns_)
      params.push_back(c.take());
    return {table_.statement, std::move(params)};
  }

private:
  const table_spec& table_;
  std::vector<detail::array_literal> columns_;
};

// Row encoders, in each table's column order.
void encode(column_arrays& c, const user_profile& u) {
  c.row(u.id, u.email, u.password_hash, u.name, u.phone, to_string(u.kyc), u.pan,
        u.date_of_birth, u.address, u.kyc_reason, u.created_at,
        int64_t{u.trading_blocked ? 1 : 0});
}
void encode(column_arrays& c, const account_row& a) { c.row(a.user, a.cash, a.next_transfer_id); }
void encode(column_arrays& c, const holding_row& h) {
  c.row(h.user, h.position.symbol, h.position.quantity, h.position.held_quantity,
        h.position.cost_basis);
}
void encode(column_arrays& c, const order& o) {
  c.row(o.id, o.user, o.symbol, to_string(o.side), to_string(o.type), to_string(o.validity),
        o.quantity, o.price, o.trigger_price, to_string(o.status), o.filled_quantity,
        o.filled_value, o.held_cash, o.exchange_order_id, o.reject_code, o.reject_message,
        o.idempotency_key, o.created_at, o.updated_at, o.held_unsettled, o.unsettled_due, o.fees);
}
void encode(column_arrays& c, const execution_row& e) {
  const execution_report& x = e.report;
  c.row(x.exec_id, x.client_order_id, e.user, x.exchange_order_id, to_string(x.kind),
        x.last_quantity, x.last_price, x.cum_quantity, x.leaves_quantity, x.text, x.time,
        e.symbol, to_string(e.side), e.fees.brokerage, e.fees.stt, e.fees.exchange, e.fees.sebi,
        e.fees.stamp, e.fees.gst);
}
void encode(column_arrays& c, const journal_entry& e) {
  const auto& a = e.amounts;
  c.row(e.id, e.user, e.at, to_string(e.kind), e.reference, a[0], a[1], a[2], a[3], a[4], a[5],
        a[6]);
}
void encode(column_arrays& c, const settlement_row& st) { c.row(st.user, st.due_day, st.amount); }
void encode(column_arrays& c, const notification& n) {
  c.row(n.id, n.user, n.at, to_string(n.kind), n.reference, n.message, int64_t{n.read ? 1 : 0});
}
void encode(column_arrays& c, const notification_read& r) { c.row(r.user, r.id); }
void encode(column_arrays& c, const watchlist& w) {
  c.row(w.user, w.id, w.name, join_symbols(w.symbols), int64_t{w.deleted ? 1 : 0}, w.created_at,
        w.updated_at);
}
void encode(column_arrays& c, const transfer& t) {
  c.row(t.user, t.id, to_string(t.kind), t.amount, to_string(t.status), t.gateway_reference,
        t.failure_reason, t.created_at, t.updated_at);
}
void encode(column_arrays& c, const idempotency_entry& i) {
  c.row(i.user, i.key, i.request_digest, i.order);
}
void encode(column_arrays& c, const candle& k) {
  c.row(k.symbol, k.start, k.open, k.high, k.low, k.close, k.volume);
}
void encode(column_arrays& c, const price_alert& a) {
  c.row(a.user, a.id, a.symbol, to_string(a.condition), a.price, to_string(a.status),
        a.triggered_price, a.created_at, a.updated_at);
}

// Conflict keys, as the database will compare them: text as it will be stored.
using text_key = std::string;
int64_t key_of(const user_profile& u) { return u.id; }
int64_t key_of(const account_row& a) { return a.user; }
std::pair<int64_t, text_key> key_of(const holding_row& h) {
  return {h.user, detail::postgres_text(h.position.symbol)};
}
int64_t key_of(const order& o) { return o.id; }
text_key key_of(const execution_row& e) { return detail::postgres_text(e.report.exec_id); }
std::pair<int64_t, int64_t> key_of(const transfer& t) { return {t.user, t.id}; }
int64_t key_of(const idempotency_entry& i) { return i.order; }
std::pair<text_key, int64_t> key_of(const candle& k) {
  return {detail::postgres_text(k.symbol), k.start};
}
std::pair<int64_t, int64_t> key_of(const price_alert& a) { return {a.user, a.id}; }
int64_t key_of(const journal_entry& e) { return e.id; }
std::pair<int64_t, int64_t> key_of(const settlement_row& st) { return {st.user, st.due_day}; }
int64_t key_of(const notification& n) { return n.id; }
std::pair<int64_t, int64_t> key_of(const notification_read& r) { return {r.user, r.id}; }
std::pair<int64_t, int64_t> key_of(const watchlist& w) { return {w.user, w.id}; }

// One row per key, in batch order. ON CONFLICT DO UPDATE may not touch a row
// twice in one statement, so an upsert keeps the key's last row (the latest
// state, as sequential upserts would leave it); an insert-once table keeps the
// first (as sequential inserts that ignore a duplicate would).
template <class T>
std::vector<const T*> one_per_key(const std::vector<T>& rows, bool keep_first) {
  std::map<decltype(key_of(rows.front())), size_t> chosen; // key -> index of its row
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, inserted] = chosen.emplace(key_of(rows[i]), i);
    if (!inserted && !keep_first)
      it->second = i;
  }
  std::vector<bool> keep(rows.size(), false);
  for (const auto& entry : chosen)
    keep[entry.second] = true;
  std::vector<const T*> out;
  out.reserve(chosen.size());
  for (size_t i = 0; i < rows.size(); ++i)
    if (keep[i])
      out.push_back(&rows[i]);
  return out;
}

using statement_call = std::pair<const char*, std::vector<std::string>>;

template <class T>
void encode_table(std::vector<statement_call>& calls, const table_spec& t,
                  const std::vector<T>& rows) {
  if (rows.empty())
    return; // no statement for a table the batch doesn't touch
  column_arrays c(t);
  for (const T* row : one_per_key(rows, t.insert_once))
    encode(c, *row);
  calls.push_back(c.take());
}

// The batch as at most one statement per table, in sqlite_store's table order.
std::vector<statement_call> encode_batch(const write_batch& b) {
  std::vector<statement_call> calls;
  encode_table(calls, users_table, b.users);
  encode_table(calls, accounts_table, b.accounts);
  encode_table(calls, holdings_table, b.holdings);
  encode_table(calls, orders_table, b.orders);
  encode_table(calls, executions_table, b.executions);
  encode_table(calls, transfers_table, b.transfers);
  encode_table(calls, idempotency_table, b.idempotency);
  encode_table(calls, candles_table, b.candles);
  encode_table(calls, alerts_table, b.alerts);
  encode_table(calls, journal_table, b.journal);
  encode_table(calls, settlements_table, b.settlements);
  encode_table(calls, notifications_table, b.notifications);
  encode_table(calls, notification_reads_spec, b.notification_reads); // after the inserts
  encode_table(calls, watchlists_table, b.watchlists);
  return calls;
}

// ---- Reads ------------------------------------------------------------------
// Orders match sqlite_store's. Text sorts as bytes (COLLATE "C"), as SQLite's
// BINARY collation does, whatever the database's default collation.

constexpr const char* execution_columns =
  "SELECT exec_id, order_id, user_id, exchange_order_id, kind, last_quantity, last_price,"
  " cum_quantity, leaves_quantity, report_text, exec_time, symbol, side, brokerage, stt,"
  " exchange_charges, sebi_fees, stamp_duty, gst FROM executions";


// seq numbers executions in insertion order (an identity column; rows are
// never deleted), as SQLite's rowid does.
// Each whole-table read of load() and its one-user twin of load_user().
struct user_read {
  const char* table_read;
  const char* user_read;
  const char* column;
};
constexpr user_read user_reads[] = {
  {"select_users", "select_users_of", "id"},
  {"select_accounts", "select_accounts_of", "user_id"},
  {"select_holdings", "select_holdings_of", "user_id"},
  {"select_orders", "select_orders_of", "user_id"},
  {"select_executions", "select_executions_of_user", "user_id"},
  {"select_transfers", "select_transfers_of", "user_id"},
  {"select_alerts", "select_alerts_of", "user_id"},
  {"select_idempotency", "select_idempotency_of", "user_id"},
  {"select_journal", "select_journal_of", "user_id"},
  {"select_settlements", "select_settlements_of", "user_id"},
  {"select_notifications", "select_notifications_of", "user_id"},
  {"select_watchlists", "select_watchlists_of", "user_id"},
};

const std::vector<std::pair<const char*, std::string>>& reader_statements() {
  static const std::vector<std::pair<const char*, std::string>> list = [] {
    std::vector<std::pair<const char*, std::string>> l{
      {"select_users",
       "SELECT id, email, password_hash, name, phone, kyc, pan, date_of_birth, address,"
       " kyc_reason, created_at, trading_blocked FROM users ORDER BY id"},
      {"select_accounts", "SELECT user_id, cash, next_transfer_id FROM accounts ORDER BY user_id"},
      {"select_holdings",
       "SELECT user_id, symbol, quantity, held_quantity, cost_basis FROM holdings"
       " ORDER BY user_id, symbol COLLATE \"C\""},
      {"select_orders",
       "SELECT id, user_id, symbol, side, order_type, validity, quantity, price, trigger_price,"
       " status, filled_quantity, filled_value, held_cash, exchange_order_id, reject_code,"
       " reject_message, idempotency_key, created_at, updated_at, held_unsettled, unsettled_due,"
       " fees FROM orders ORDER BY id"},
      {"select_executions", std::string(execution_columns) + " ORDER BY seq"},
      {"select_executions_of", std::string(execution_columns) + " WHERE order_id = $1 ORDER BY seq"},
      {"select_transfers",
       "SELECT user_id, id, kind, amount, status, gateway_reference, failure_reason, created_at,"
       " updated_at FROM transfers ORDER BY user_id, id"},
      {"select_idempotency",
       "SELECT user_id, idempotency_key, request_digest, order_id FROM idempotency"
       " ORDER BY user_id, idempotency_key COLLATE \"C\", order_id"},
      {"select_alerts",
       "SELECT user_id, id, symbol, condition, price, status, triggered_price, created_at,"
       " updated_at FROM alerts ORDER BY user_id, id"},
      {"select_candles_since",
       "SELECT symbol, start, open, high, low, close, volume FROM candles WHERE start >= $1"
       " ORDER BY symbol COLLATE \"C\", start"},
      {"select_journal",
       "SELECT id, user_id, at, kind, reference, user_cash, user_unsettled, user_held,"
       " house_settlement, house_fees, statutory_charges, bank FROM journal ORDER BY id"},
      {"select_settlements",
       "SELECT user_id, due_day, amount FROM settlements WHERE amount > 0 ORDER BY user_id, due_day"},
      {"select_notifications",
       "SELECT id, user_id, at, kind, reference, message, is_read FROM notifications ORDER BY id"},
      {"select_watchlists",
       "SELECT user_id, id, name, symbols, deleted, created_at, updated_at FROM watchlists"
       " ORDER BY user_id, id"},
      // A range of the (symbol, start) primary key.
      {"select_candles_of",
       "SELECT symbol, start, open, high, low, close, volume FROM candles"
       " WHERE symbol = $1 AND start >= $2 AND start < $3 ORDER BY start"},
      {"select_operators",
       "SELECT name, password_hash, created_at, disabled FROM operators ORDER BY name COLLATE \"C\""},
      {"select_operator",
       "SELECT name, password_hash, created_at, disabled FROM operators WHERE name = $1"},
      // A range of the primary key, read backwards: $1 is the largest id wanted.
      {"select_audit",
       "SELECT id, at, operator_name, remote_address, action, target, detail, status"
       " FROM audit_log WHERE id <= $1 ORDER BY id DESC LIMIT $2"},
      {"select_halts",
       "SELECT symbol, reason, since, operator_name FROM trading_halts ORDER BY symbol COLLATE \"C\""},
    };
    for (auto& r : user_reads)
      for (size_t i = 0, n = l.size(); i < n; ++i)
        if (std::string_view{l[i].first} == r.table_read)
          l.emplace_back(r.user_read, rows_where(l[i].second, r.column, "$1"));
    for (size_t i = 0, n = l.size(); i < n; ++i)
      if (std::string_view{l[i].first} == "select_alerts")
        l.emplace_back("select_alerts_of_symbol", rows_where(l[i].second, "symbol", "$1"));
    return l;
  }();
  return list;
}

// The operator console's writes: one row per call, outside write_batch
// (store.hpp), so plain statements rather than arrays.
constexpr const char* insert_operator_sql =
  "INSERT INTO operators (name, password_hash, created_at, disabled) VALUES ($1, $2, $3, $4)"
  " ON CONFLICT (name) DO NOTHING"; // a name already taken keeps its row
// No id: the identity column assigns it (migration 8).
constexpr const char* insert_audit_sql =
  "INSERT INTO audit_log (at, operator_name, remote_address, action, target, detail, status)"
  " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id";
constexpr const char* upsert_halt_sql =
  "INSERT INTO trading_halts (symbol, reason, since, operator_name) VALUES ($1, $2, $3, $4)"
  " ON CONFLICT (symbol) DO UPDATE SET reason = excluded.reason, since = excluded.since,"
  " operator_name = excluded.operator_name";
constexpr const char* delete_halt_sql = "DELETE FROM trading_halts WHERE symbol = $1";

const std::vector<std::pair<const char*, std::string>>& writer_statements() {
  static const std::vector<std::pair<const char*, std::string>> list = [] {
    std::vector<std::pair<const char*, std::string>> l;
    for (const table_spec* t : all_tables)
      l.emplace_back(t->statement, insert_sql(*t));
    l.emplace_back(notification_reads_spec.statement, mark_read_sql);
    l.emplace_back("insert_operator", insert_operator_sql);
    l.emplace_back("insert_audit", insert_audit_sql);
    l.emplace_back("upsert_halt", upsert_halt_sql);
    l.emplace_back("delete_halt", delete_halt_sql);
    return l;
  }();
  return list;
}

// Reads the current row's columns left to right, in the SELECT's order.
class row_reader {
public:
  explicit row_reader(const pqxx::row& r) : r_(r) {}
  int64_t i64() { return r_[next_++].as<int64_t>(); }
  std::string text() {
    const pqxx::field f = r_[next_++];
    return std::string(f.c_str(), f.size());
  }
  // An enum stored as its wire string. A string that doesn't parse means the
  // row was edited by hand or by a newer build: fail loudly rather than guess.
  template <class E>
  E wire(std::optional<E> (*parse)(std::string_view), const char* column) {
    std::string raw = text();
    if (std::optional<E> value = parse(raw))
      return *value;
    throw store_error(std::string("postgres read: bad value '") + raw + "' in " + column);
  }

private:
  const pqxx::row& r_;
  pqxx::row::size_type next_ = 0;
};

user_profile read_user(const pqxx::row& row) {
  row_reader r(row);
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

account_row read_account(const pqxx::row& row) {
  row_reader r(row);
  account_row a;
  a.user = r.i64();
  a.cash = r.i64();
  a.next_transfer_id = r.i64();
  return a;
}

holding_row read_holding(const pqxx::row& row) {
  row_reader r(row);
  holding_row h;
  h.user = r.i64();
  h.position.symbol = r.text();
  h.position.quantity = r.i64();
  h.position.held_quantity = r.i64();
  h.position.cost_basis = r.i64();
  return h;
}

order read_order(const pqxx::row& row) {
  row_reader r(row);
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

execution_row read_execution(const pqxx::row& row) {
  row_reader r(row);
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

journal_entry read_journal_entry(const pqxx::row& row) {
  row_reader r(row);
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

settlement_row read_settlement(const pqxx::row& row) {
  row_reader r(row);
  settlement_row st;
  st.user = r.i64();
  st.due_day = r.i64();
  st.amount = r.i64();
  return st;
}

transfer read_transfer(const pqxx::row& row) {
  row_reader r(row);
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

idempotency_entry read_idempotency(const pqxx::row& row) {
  row_reader r(row);
  idempotency_entry i;
  i.user = r.i64();
  i.key = r.text();
  i.request_digest = r.text();
  i.order = r.i64();
  return i;
}

price_alert read_alert(const pqxx::row& row) {
  row_reader r(row);
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

candle read_candle(const pqxx::row& row) {
  row_reader r(row);
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

notification read_notification(const pqxx::row& row) {
  row_reader r(row);
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

watchlist read_watchlist(const pqxx::row& row) {
  row_reader r(row);
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

operator_account read_operator(const pqxx::row& row) {
  row_reader r(row);
  operator_account a;
  a.name = r.text();
  a.password_hash = r.text();
  a.created_at = r.i64();
  a.disabled = r.i64() != 0;
  return a;
}

audit_entry read_audit_entry(const pqxx::row& row) {
  row_reader r(row);
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

stored_halt read_halt(const pqxx::row& row) {
  row_reader r(row);
  stored_halt h;
  h.symbol = r.text();
  h.reason = r.text();
  h.since = r.i64();
  h.operator_name = r.text();
  return h;
}

template <class T>
void read_all(const pqxx::result& result, std::vector<T>& out, T (*read)(const pqxx::row&)) {
  out.reserve(out.size() + result.size());
  for (const pqxx::row& row : result)
    out.push_back(read(row));
}

// ---- Connections and migrations ---------------------------------------------

// Opens a connection set up the same way every time, also after a reconnect.
std::unique_ptr<pqxx::connection> connect(const std::string& url, const std::string& app_name) {
  auto c = std::make_unique<pqxx::connection>(url);
  // The array literals and row text are UTF-8, whatever the client's locale.
  // set_variable, not SET: libpqxx restores these should it ever reconnect
  // by itself. NOTICEs (CREATE TABLE IF NOT EXISTS on an existing table)
  // would be printed on stderr by libpqxx; warnings and errors still are.
  c->set_client_encoding("UTF8");
  c->set_variable("client_min_messages", "warning");
  c->set_variable("application_name", c->quote(app_name));
  pqxx::nontransaction setup(*c);
  // Text is stored as UTF-8 (see postgres_text); a database in another
  // encoding would convert or refuse some of it.
  const std::string encoding = setup.exec1("SHOW server_encoding")[0].c_str();
  if (encoding != "UTF8")
    throw store_error("postgres connect: the database's encoding is " + encoding
                      + ", need UTF8");
  setup.commit();
  return c;
}

// Serialises migrating between processes (nodes starting at the same time):
// a transaction-scoped advisory lock, any 64-bit number the app owns.
constexpr const char* migration_lock_sql = "SELECT pg_advisory_xact_lock(7163850315219141491)";

std::vector<int> applied_versions(pqxx::connection& c) {
  pqxx::nontransaction q(c);
  std::vector<int> versions;
  for (const pqxx::row& row : q.exec("SELECT version FROM schema_migrations ORDER BY version"))
    versions.push_back(row[0].as<int>());
  return versions;
}

// Applies each missing migration in its own transaction, recording it in the
// same transaction: a crash leaves a migration either fully applied and
// recorded, or neither.
void apply_migrations(pqxx::connection& c) {
  {
    pqxx::work tx(c);
    tx.exec(migration_lock_sql);
    tx.exec(schema_migrations_postgres_ddl);
    tx.commit();
  }
  for (const migration* m : pending_migrations(all_migrations(), applied_versions(c))) {
    try {
      pqxx::work tx(c);
      tx.exec(migration_lock_sql); // the check below is final while it is held
      if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m->version)
             .empty())
        continue; // applied meanwhile by another process; tx rolls back, nothing written
      tx.exec(m->postgres_sql);
      tx.exec_params("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2,"
                     " to_char(clock_timestamp() AT TIME ZONE 'UTC',"
                     " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))",
                     m->version, std::string(m->name));
      tx.commit();
    } catch (const pqxx::pqxx_exception& e) {
      fail("migration " + std::to_string(m->version) + " (" + m->name + ")", e.base());
    }
  }
}

} // namespace

// One connection and what it needs: its statements are prepared on every
// connection it opens. Used by one thread at a time (mutex).
struct postgres_store::session {
  using statement_list = std::vector<std::pair<const char*, std::string>>;

  std::mutex mutex;
  const std::string url;
  const std::string app_name;
  const statement_list& statements;
  std::unique_ptr<pqxx::connection> conn; // null: not connected (never, or broken)

  session(std::string u, std::string name, const statement_list& s)
    : url(std::move(u)), app_name(std::move(name)), statements(s) {}

  pqxx::connection& open() {
    if (!conn) {
      std::unique_ptr<pqxx::connection> c = connect(url, app_name);
      // Prepared now, not on first use: a statement that doesn't fit the
      // schema fails here, at start, instead of in the first flush.
      for (const auto& [name, sql] : statements) {
        c->prepare(name, sql);
        c->prepare_now(name);
      }
      conn = std::move(c);
    }
    return *conn;
  }

  // Runs `work` on the connection, opening it first if need be. A broken
  // connection is dropped, so the next call connects afresh instead of
  // failing forever. If the connection broke and had been opened by an
  // earlier call, it most likely died while idle (server restart, backend
  // terminated, idle timeout on the way): `work` runs once more on a fresh
  // connection. That is safe for reads, and for commits too: see the header.
  template <class Work>
  auto run(const char* what, Work&& work) -> decltype(work(std::declval<pqxx::connection&>())) {
    std::lock_guard<std::mutex> lock(mutex);
    for (int attempt = 0;; ++attempt) {
      const bool reused = conn != nullptr;
      try {
        return work(open());
      } catch (const pqxx::pqxx_exception& e) {
        const bool broken = dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr
                            || !conn || !conn->is_open();
        if (broken)
          conn.reset();
        if (!(broken && reused && attempt == 0))
          fail(what, e.base());
      }
    }
  }
};

postgres_store::postgres_store(const std::string& url, postgres_options opts) {
  try {
    {
      std::unique_ptr<pqxx::connection> c = connect(url, opts.application_name + " migrations");
      apply_migrations(*c);
    }
    writer_ = std::make_unique<session>(url, opts.application_name + " writer",
                                        writer_statements());
    reader_ = std::make_unique<session>(url, opts.application_name + " reader",
                                        reader_statements());
    writer_->open();
    reader_->open();
  } catch (const pqxx::pqxx_exception& e) {
    fail("open", e.base());
  }
}

postgres_store::~postgres_store() = default;

void postgres_store::commit(const write_batch& batch) {
  if (batch.empty())
    return; // no transaction, no fsync
  // Encoded before the transaction opens (and once, whatever the retries).
  const std::vector<statement_call> calls = encode_batch(batch);
  writer_->run("commit", [&calls](pqxx::connection& c) {
    // One round trip for the whole batch: the prepared statements are run by
    // SQL EXECUTE, all in one simple-protocol query, which PostgreSQL runs as
    // one implicit transaction (all of it commits, or none of it). Before,
    // BEGIN, each statement and COMMIT were a round trip each, and the
    // persistence thread spent most of a commit waiting on them.
    std::string sql;
    for (const auto& [statement, params] : calls) {
      sql += "EXECUTE ";
      sql += statement;
      sql += '(';
      for (size_t i = 0; i < params.size(); ++i) {
        if (i > 0)
          sql += ',';
        sql += c.quote(params[i]);
      }
      sql += ");";
    }
    pqxx::nontransaction tx(c);
    tx.exec(sql);
  });
}

store_snapshot postgres_store::load() {
  return reader_->run("load", [](pqxx::connection& c) {
    // One snapshot for every table: a concurrent commit is seen entirely or
    // not at all.
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    store_snapshot snap;
    read_all(tx.exec_prepared("select_users"), snap.users, read_user);
    read_all(tx.exec_prepared("select_accounts"), snap.accounts, read_account);
    read_all(tx.exec_prepared("select_holdings"), snap.holdings, read_holding);
    read_all(tx.exec_prepared("select_orders"), snap.orders, read_order);
    read_all(tx.exec_prepared("select_executions"), snap.executions, read_execution);
    read_all(tx.exec_prepared("select_transfers"), snap.transfers, read_transfer);
    read_all(tx.exec_prepared("select_alerts"), snap.alerts, read_alert);
    read_all(tx.exec_prepared("select_idempotency"), snap.idempotency, read_idempotency);
    read_all(tx.exec_prepared("select_journal"), snap.journal, read_journal_entry);
    read_all(tx.exec_prepared("select_settlements"), snap.settlements, read_settlement);
    read_all(tx.exec_prepared("select_notifications"), snap.notifications, read_notification);
    read_all(tx.exec_prepared("select_watchlists"), snap.watchlists, read_watchlist);
    tx.commit(); // ends the read transaction; nothing was written
    return snap;
  });
}

store_snapshot postgres_store::load_user(user_id u) {
  return reader_->run("load_user", [u](pqxx::connection& c) {
    pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(c);
    store_snapshot snap;
    auto rows = [&](const char* read) { return tx.exec_prepared(read, static_cast<int64_t>(u)); };
    read_all(rows("select_users_of"), snap.users, read_user);
    read_all(rows("select_accounts_of"), snap.accounts, read_account);
    read_all(rows("select_holdings_of"), snap.holdings, read_holding);
    read_all(rows("select_orders_of"), snap.orders, read_order);
    read_all(rows("select_executions_of_user"), snap.executions, read_execution);
    read_all(rows("select_transfers_of"), snap.transfers, read_transfer);
    read_all(rows("select_alerts_of"), snap.alerts, read_alert);
    read_all(rows("select_idempotency_of"), snap.idempotency, read_idempotency);
    read_all(rows("select_journal_of"), snap.journal, read_journal_entry);
    read_all(rows("select_settlements_of"), snap.settlements, read_settlement);
    read_all(rows("select_notifications_of"), snap.notifications, read_notification);
    read_all(rows("select_watchlists_of"), snap.watchlists, read_watchlist);
    tx.commit();
    return snap;
  });
}

std::vector<price_alert> postgres_store::active_alerts_of(const std::string& symbol) {
  return reader_->run("active_alerts_of", [&symbol](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<price_alert> rows;
    read_all(tx.exec_prepared("select_alerts_of_symbol", symbol), rows, read_alert);
    rows.erase(std::remove_if(rows.begin(), rows.end(),
                              [](const price_alert& a) { return a.status != alert_status::active; }),
               rows.end());
    return rows;
  });
}

std::vector<execution_row> postgres_store::executions_of(order_id id) {
  return reader_->run("executions_of", [id](pqxx::connection& c) {
    pqxx::nontransaction tx(c); // one statement sees one snapshot
    std::vector<execution_row> rows;
    read_all(tx.exec_prepared("select_executions_of", static_cast<int64_t>(id)), rows,
             read_execution);
    return rows;
  });
}

std::vector<candle> postgres_store::candles_since(timestamp from) {
  return reader_->run("candles_since", [from](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<candle> rows;
    read_all(tx.exec_prepared("select_candles_since", static_cast<int64_t>(from)), rows,
             read_candle);
    return rows;
  });
}

std::vector<candle> postgres_store::candles_of(const std::string& symbol, timestamp from,
                                              timestamp to) {
  return reader_->run("candles_of", [&symbol, from, to](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<candle> rows;
    // The symbol as it was stored (see postgres_text).
    read_all(tx.exec_prepared("select_candles_of", detail::postgres_text(symbol),
                              static_cast<int64_t>(from), static_cast<int64_t>(to)),
             rows, read_candle);
    return rows;
  });
}

// ---- The operator console's rows ----------------------------------------------
// Each write is one statement outside any transaction block: its own
// transaction, durable once answered (synchronous_commit). On the writer
// session, so it waits for a commit() in progress instead of interleaving
// with it; reads go to the reader. Text goes in as it will be stored
// (postgres_text), lookups included, as for the books' rows.

bool postgres_store::add_operator(const operator_account& a) {
  return writer_->run("add_operator", [&a](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r =
      tx.exec_prepared("insert_operator", detail::postgres_text(a.name),
                       detail::postgres_text(a.password_hash), static_cast<int64_t>(a.created_at),
                       int64_t{a.disabled ? 1 : 0});
    return r.affected_rows() == 1; // 0: the name was taken
  });
}

std::optional<operator_account> postgres_store::find_operator(const std::string& name) {
  return reader_->run("find_operator", [&name](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    const pqxx::result r = tx.exec_prepared("select_operator", detail::postgres_text(name));
    std::optional<operator_account> found;
    if (!r.empty()) // the primary key: at most one
      found = read_operator(r[0]);
    return found;
  });
}

std::vector<operator_account> postgres_store::operators() {
  return reader_->run("operators", [](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<operator_account> rows;
    read_all(tx.exec_prepared("select_operators"), rows, read_operator);
    return rows;
  });
}

int64_t postgres_store::append_audit(const audit_entry& e) {
  return writer_->run("append_audit", [&e](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    using detail::postgres_text;
    return tx
      .exec_prepared1("insert_audit", static_cast<int64_t>(e.at), postgres_text(e.operator_name),
                      postgres_text(e.remote_address), postgres_text(e.action),
                      postgres_text(e.target), postgres_text(e.detail), int64_t{e.status})[0]
      .as<int64_t>();
  });
}

std::vector<audit_entry> postgres_store::audit_log(int64_t before_id, size_t limit) {
  // As in sqlite_store: "id < before_id" as "id <= before_id - 1", and a
  // limit past the largest bigint is no limit.
  const int64_t last = before_id > 0 ? before_id - 1 : std::numeric_limits<int64_t>::max();
  const auto most = static_cast<int64_t>(
    std::min<uint64_t>(limit, static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  return reader_->run("audit_log", [last, most](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<audit_entry> rows;
    read_all(tx.exec_prepared("select_audit", last, most), rows, read_audit_entry);
    return rows;
  });
}

void postgres_store::put_halt(const stored_halt& h) {
  writer_->run("put_halt", [&h](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("upsert_halt", detail::postgres_text(h.symbol), detail::postgres_text(h.reason),
                     static_cast<int64_t>(h.since), detail::postgres_text(h.operator_name));
  });
}

void postgres_store::remove_halt(const std::string& symbol) {
  writer_->run("remove_halt", [&symbol](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    tx.exec_prepared("delete_halt", detail::postgres_text(symbol)); // no row: nothing to do
  });
}

std::vector<stored_halt> postgres_store::halts() {
  return reader_->run("halts", [](pqxx::connection& c) {
    pqxx::nontransaction tx(c);
    std::vector<stored_halt> rows;
    read_all(tx.exec_prepared("select_halts"), rows, read_halt);
    return rows;
  });
}

} // namespace broker
