#pragma once
// broker::store on PostgreSQL (libpqxx 6). Two connections, as in
// sqlite_store: the writer (commit(), i.e. the persistence actor) and the
// reader (every read, any thread), each used by one thread at a time under
// its own mutex, so a read never waits for a commit's fsync.
//
// A commit is one transaction with at most one statement per table: every
// table's rows go as one array per column into a prepared
// INSERT ... SELECT FROM unnest(...) ON CONFLICT. Reads are prepared too.
//
// A connection that broke (server restarted, backend terminated) is dropped
// and the next call opens a new one. A connection that had been idle may have
// died unnoticed, so a call that finds its reused connection broken retries
// once on a fresh one; anything else that fails throws store_error, and the
// caller retries. Retrying a batch is always safe: upserts write the latest
// state and executions / idempotency entries are insert-once, so a batch
// applied twice (a COMMIT whose answer was lost) stores every row once.
// The operator console's writes are retried the same way. put_halt and
// remove_halt are idempotent; the other two are not: an audit entry whose
// answer was lost may be appended twice (the log may repeat a line, never
// lose one), and add_operator may answer false for the operator it just added.
//
// The one difference from SQLite: PostgreSQL text holds valid UTF-8 only and
// never a NUL byte, so a NUL or an invalid UTF-8 sequence in a string is
// stored as U+FFFD. Refusing such a row instead would fail the same flush on
// every retry and stall persistence for good.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "storage/store.hpp"

namespace broker {

struct postgres_options {
  // Shown in pg_stat_activity as "<application_name> writer" / "... reader".
  std::string application_name = "brokerd";
};

class postgres_store final : public store {
public:
  // `url` is a libpq connection URI, e.g. postgresql://user@host:5432/db
  // (libpq's query parameters such as connect_timeout=5 work too). Connects
  // both connections and applies missing migrations; throws store_error when
  // it can't connect or migrate, the database isn't UTF-8, or it was
  // migrated by a newer build.
  explicit postgres_store(const std::string& url, postgres_options opts = {});
  ~postgres_store() override;
  postgres_store(const postgres_store&) = delete;
  postgres_store& operator=(const postgres_store&) = delete;

  void commit(const write_batch& batch) override;
  store_snapshot load() override;
  store_snapshot load_user(user_id u) override;
  std::vector<price_alert> active_alerts_of(const std::string& symbol) override;
  std::vector<execution_row> executions_of(order_id id) override;
  std::vector<candle> candles_since(timestamp from) override;
  std::vector<candle> candles_of(const std::string& symbol, timestamp from, timestamp to) override;

  bool add_operator(const operator_account& a) override;
  std::optional<operator_account> find_operator(const std::string& name) override;
  std::vector<operator_account> operators() override;
  int64_t append_audit(const audit_entry& e) override;
  std::vector<audit_entry> audit_log(int64_t before_id, size_t limit) override;
  void put_halt(const stored_halt& h) override;
  void remove_halt(const std::string& symbol) override;
  std::vector<stored_halt> halts() override;

private:
  struct session; // one connection, its mutex, and what to prepare on it
  std::unique_ptr<session> writer_;
  std::unique_ptr<session> reader_;
};

namespace detail {

// Builds the text form of a one-dimensional PostgreSQL array, the value of a
// `$n::bigint[]` or `$n::text[]` parameter: {1,-2} or {"a","b \"c\""}.
// Text elements are always double-quoted (so empty strings, NULL, braces,
// commas and spaces stay literal), with backslash and double quote escaped by
// a backslash, and pass through postgres_text first.
class array_literal {
public:
  void add(int64_t value);
  void add(std::string_view text);
  size_t size() const { return count_; }
  // The finished literal; add() may not be called afterwards.
  std::string take();

private:
  std::string text_ = "{";
  size_t count_ = 0;
};

// `s` with every NUL byte and every byte of an invalid UTF-8 sequence
// (overlong, surrogate, above U+10FFFF, truncated) replaced by U+FFFD: what
// PostgreSQL's text type can hold. Valid input comes back unchanged.
std::string postgres_text(std::string_view s);

} // namespace detail

} // namespace broker
