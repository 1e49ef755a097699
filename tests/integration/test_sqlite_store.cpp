// sqlite_store against real files: the store contract (store_contract.hpp),
// then what only SQLite has: WAL mode and its bound, ":memory:" refused,
// embedded NUL bytes, the upgrade of a file from migration 1, the audit log's
// triggers.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "tests/integration/store_contract.hpp"
#include "storage/migrations.hpp"
#include "actors/account_book.hpp"
#include "storage/sqlite_store.hpp"

using namespace broker;
using namespace store_contract;

namespace {

// A fresh directory per test, removed with everything in it (db, -wal, -shm).
// Declare it before any store so the store closes first.
class temp_dir {
public:
  temp_dir() {
    char pattern[] = "/tmp/sqlite_store_test.XXXXXX";
    if (mkdtemp(pattern) == nullptr)
      throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~temp_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  std::string file() const { return path_ + "/broker.db"; }

private:
  std::string path_;
};

std::vector<migration_record> recorded_migrations(const std::string& path) {
  SQLite::Database db(path, SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version");
  std::vector<migration_record> rows;
  while (q.executeStep())
    rows.push_back({q.getColumn(0).getInt(), q.getColumn(1).getString(),
                    q.getColumn(2).getString()});
  return rows;
}

// One file in a fresh directory; the directory goes with the last copy of
// the backend, after the stores a test opened (locals of the contract).
backend sqlite_backend(sqlite_options opts = {}) {
  auto dir = std::make_shared<temp_dir>();
  backend b;
  b.open = [dir, opts] { return std::make_unique<sqlite_store>(dir->file(), opts); };
  b.exec = [dir](const std::string& sql) {
    SQLite::Database db(dir->file(), SQLite::OPEN_READWRITE);
    db.exec(sql);
  };
  b.recorded_migrations = [dir] { return recorded_migrations(dir->file()); };
  b.create_at_version = [dir](int version) {
    SQLite::Database db(dir->file(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(schema_migrations_sqlite_ddl);
    for (int v = 1; v <= version; ++v) {
      const migration& m = all_migrations().at(v - 1);
      db.exec(m.sqlite_sql);
      db.exec("INSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", '" + m.name
              + "', '2026-01-01T00:00:00.000Z')");
    }
  };
  b.fail_on_boom_key = [dir](bool on) {
    SQLite::Database db(dir->file(), SQLite::OPEN_READWRITE);
    db.exec(on ? "CREATE TRIGGER boom BEFORE INSERT ON idempotency"
                 " WHEN NEW.idempotency_key = 'boom'"
                 " BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
               : "DROP TRIGGER boom");
  };
  return b;
}

} // namespace

// ---- The store contract ----------------------------------------------------------

TEST_CASE("sqlite_store: every row type round-trips with every field", "[sqlite_store]") {
  every_row_type_round_trips(sqlite_backend());
}

TEST_CASE("sqlite_store: upserts keep the latest state of each row", "[sqlite_store]") {
  upserts_keep_the_latest_state(sqlite_backend());
}

TEST_CASE("sqlite_store: a replayed exec_id or idempotency entry is ignored", "[sqlite_store]") {
  replayed_exec_id_or_idempotency_entry_is_ignored(sqlite_backend());
}

TEST_CASE("sqlite_store: a failing batch leaves nothing and the store keeps working",
          "[sqlite_store]") {
  failing_batch_leaves_nothing(sqlite_backend());
}

TEST_CASE("sqlite_store: a batch retried after a failure stores every row once",
          "[sqlite_store]") {
  retried_batch_stores_every_row_once(sqlite_backend());
}

TEST_CASE("sqlite_store: committed data survives reopening the file", "[sqlite_store]") {
  const bool full = GENERATE(true, false);
  INFO("synchronous_full = " << full);
  sqlite_options o;
  o.synchronous_full = full;
  o.busy_timeout_ms = 1000;
  committed_data_survives_reopening(sqlite_backend(o));
}

TEST_CASE("sqlite_store: migrations are recorded once and checked on open", "[sqlite_store]") {
  migrations_are_recorded_once_and_checked_on_open(sqlite_backend());
}

TEST_CASE("sqlite_store: an unparseable stored enum is an error, not a guess", "[sqlite_store]") {
  unparseable_stored_enum_is_an_error(sqlite_backend());
}

TEST_CASE("sqlite_store: concurrent readers never see half a batch", "[sqlite_store][threads]") {
  concurrent_readers_never_see_half_a_batch(sqlite_backend());
}

TEST_CASE("sqlite_store: candles_since returns candles from a start, by symbol then start",
          "[sqlite_store]") {
  candles_since_returns_candles_from_a_start(sqlite_backend());
}

TEST_CASE("sqlite_store: the journal round-trips and refuses an unbalanced entry",
          "[sqlite_store][ledger]") {
  journal_round_trips_and_refuses_an_unbalanced_entry(sqlite_backend());
}

TEST_CASE("sqlite_store: notifications round-trip and are marked read by id", "[sqlite_store]") {
  notifications_round_trip_and_are_marked_read(sqlite_backend());
}

TEST_CASE("sqlite_store: watchlists round-trip and upsert", "[sqlite_store]") {
  watchlists_round_trip_and_upsert(sqlite_backend());
}

TEST_CASE("sqlite_store: candles_of returns one symbol's candles in [from, to)",
          "[sqlite_store]") {
  candles_of_returns_one_symbols_range(sqlite_backend());
}

TEST_CASE("sqlite_store: a user's trading block round-trips, is upserted and survives reopening",
          "[sqlite_store]") {
  trading_blocked_round_trips_and_is_upserted(sqlite_backend());
}

TEST_CASE("sqlite_store: migration 9 leaves the users already there unblocked",
          "[sqlite_store][migrations]") {
  migration_9_leaves_existing_users_unblocked(sqlite_backend());
}

TEST_CASE("sqlite_store: operators round-trip and a taken name stays taken",
          "[sqlite_store][operator_console]") {
  operators_round_trip_and_names_stay_taken(sqlite_backend());
}

TEST_CASE("sqlite_store: the audit log appends and pages newest first",
          "[sqlite_store][operator_console]") {
  audit_log_appends_and_pages_newest_first(sqlite_backend());
}

TEST_CASE("sqlite_store: halts are put, replaced and removed, and kept across reopening",
          "[sqlite_store][operator_console]") {
  halts_are_put_replaced_and_removed(sqlite_backend());
}

TEST_CASE("sqlite_store: the console's writes take turns with commits",
          "[sqlite_store][operator_console][threads]") {
  console_writes_race_commits(sqlite_backend());
}

// ---- SQLite only -------------------------------------------------------------------

TEST_CASE("sqlite_store: the file is in WAL mode with the schema migrations leave",
          "[sqlite_store][migrations]") {
  temp_dir dir;
  { sqlite_store st(dir.file(), {}); }
  SQLite::Database db(dir.file(), SQLite::OPEN_READONLY);
  CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal"); // persistent
  for (const char* table : {"users", "accounts", "holdings", "orders", "executions",
                            "transfers", "idempotency", "candles", "alerts", "operators",
                            "audit_log", "trading_halts"})
    CHECK(db.tableExists(table));
  // Migration 2 dropped orders_by_user; executions_by_order stays.
  auto index_exists = [&db](const char* name) {
    SQLite::Statement q(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = ?");
    q.bind(1, name);
    REQUIRE(q.executeStep());
    return q.getColumn(0).getInt() == 1;
  };
  CHECK(index_exists("executions_by_order"));
  CHECK_FALSE(index_exists("orders_by_user"));
}

TEST_CASE("sqlite_store: text with NUL bytes round-trips", "[sqlite_store]") {
  // PostgreSQL can't hold these (postgres_store replaces them); SQLite keeps them.
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  write_batch b;
  b.orders = {make_order(1, 1)};
  b.orders[0].reject_message = std::string("outside band \0 [2200, 2700]", 27);
  REQUIRE(b.orders[0].reject_message.find('\0') != std::string::npos);
  st.commit(b);
  check_same(st.load().orders, b.orders);
}

TEST_CASE("pending_migrations: only missing versions, in list order", "[migrations]") {
  const std::vector<migration> list{{1, "a", "", ""}, {2, "b", "", ""}, {3, "c", "", ""}};
  auto versions = [](const std::vector<const migration*>& ms) {
    std::vector<int> v;
    for (const migration* m : ms)
      v.push_back(m->version);
    return v;
  };
  CHECK(versions(pending_migrations(list, {})) == std::vector<int>{1, 2, 3});
  CHECK(versions(pending_migrations(list, {1})) == std::vector<int>{2, 3});
  CHECK(versions(pending_migrations(list, {3, 1})) == std::vector<int>{2});
  CHECK(pending_migrations(list, {1, 2, 3}).empty());
  CHECK_THROWS_AS(pending_migrations(list, {1, 4}), store_error);

  const std::vector<migration> repeated{{1, "a", "", ""}, {1, "b", "", ""}};
  CHECK_THROWS_AS(pending_migrations(repeated, {}), store_error);
  const std::vector<migration> from_zero{{0, "a", "", ""}};
  CHECK_THROWS_AS(pending_migrations(from_zero, {}), store_error);

  // The shipped list itself is well formed.
  CHECK(pending_migrations(all_migrations(), {}).size() == all_migrations().size());
}

TEST_CASE("sqlite_store: a file that can't be opened or can't use WAL is refused",
          "[sqlite_store]") {
  CHECK_THROWS_AS(sqlite_store(":memory:", {}), store_error);
  CHECK_THROWS_AS(sqlite_store("/nonexistent-dir/x/broker.db", {}), store_error);
}

TEST_CASE("sqlite_store: the WAL stays bounded however fast commits come", "[sqlite_store]") {
  temp_dir dir;
  sqlite_options opts;
  opts.synchronous_full = false;
  opts.background_checkpoint_pages = 8;
  opts.wal_pages_hard_limit = 64; // past this the committing thread checkpoints itself
  write_batch all;
  {
    sqlite_store st(dir.file(), opts);
    for (int i = 1; i <= 400; ++i) {
      write_batch b;
      // Orders of many users, so each commit dirties pages all over the table.
      for (int k = 0; k < 20; ++k)
        b.orders.push_back(make_order(1 + (i * 20 + k) % 997, i));
      all.orders.insert(all.orders.end(), b.orders.begin(), b.orders.end());
      st.commit(b);
      // The WAL file never outgrows the hard limit by more than one commit's pages.
      auto wal = std::filesystem::file_size(dir.file() + "-wal");
      REQUIRE(wal <= (64 + 64) * (4096 + 24) + 32);
    }
    CHECK(st.load().orders.size() == all.orders.size());
  }
  sqlite_store reopened(dir.file(), opts);
  CHECK(reopened.load().orders.size() == all.orders.size());
}

TEST_CASE("sqlite_store: a database at migration 1 is upgraded with its rows kept", "[sqlite_store][migrations]") {
  temp_dir dir;
  {
    // The file as a build with only migration 1 left it, with rows in it.
    SQLite::Database db(dir.file(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec(schema_migrations_sqlite_ddl);
    db.exec(all_migrations().at(0).sqlite_sql);
    db.exec("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')");
    db.exec("INSERT INTO accounts VALUES (7, 1000, 250, 3, 2)");
    db.exec("INSERT INTO idempotency VALUES (7, 'key-1', 'sha:1', 117440513)");
    db.exec("INSERT INTO idempotency VALUES (7, 'key-2', 'sha:2', 117440514)");
  }
  sqlite_store st(dir.file(), {});
  auto snap = st.load();
  REQUIRE(snap.accounts.size() == 1);
  CHECK(snap.accounts[0].user == 7);
  CHECK(snap.accounts[0].cash == 1250); // available + held: the held part is derived now
  CHECK(snap.accounts[0].next_transfer_id == 2);
  check_same(snap.idempotency, {make_idem(7, "key-1", "sha:1", 117440513),
                                make_idem(7, "key-2", "sha:2", 117440514)});
  CHECK(recorded_migrations(dir.file()).size() == all_migrations().size());
  // Migration 6 opened the journal with the money already there.
  REQUIRE(snap.journal.size() == 1);
  CHECK(snap.journal[0].user == 7);
  CHECK(snap.journal[0].kind == journal_kind::opening_balance);
  CHECK(snap.journal[0][ledger_account::user_cash] == 1250);
  CHECK(snap.journal[0][ledger_account::bank] == -1250);
}

TEST_CASE("sqlite_store: migration 6 splits existing money into free and held in an opening entry",
          "[sqlite_store][migrations][ledger]") {
  store_snapshot snap = migration_6_opens_the_journal_with_existing_money(sqlite_backend());
  // And user 7's books built from it agree with the account row.
  account_seed seed;
  seed.profile.id = 7;
  for (auto& a : snap.accounts)
    if (a.user == 7)
      seed.account = a;
  for (auto& o : snap.orders)
    if (o.user == 7)
      seed.orders.push_back(o);
  for (auto& t : snap.transfers)
    if (t.user == 7)
      seed.transfers.push_back(t);
  for (auto& e : snap.journal)
    if (e.user == 7)
      seed.journal.push_back(e);
  account_book book{std::move(seed)};
  CHECK(book.cash().held == 345600);
  CHECK(book.cash().withdrawable == 1000000 - 345600);
}

TEST_CASE("sqlite_store: the audit log refuses UPDATE and DELETE from any connection",
          "[sqlite_store][operator_console]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  audit_entry e = make_audit(1);
  e.id = st.append_audit(e);
  const std::vector<audit_entry> before = st.audit_log(0, 10);
  REQUIRE(before.size() == 1);

  // Not through the store: a connection of its own, as a SQL shell would be.
  SQLite::Database db(dir.file(), SQLite::OPEN_READWRITE);
  REQUIRE_THROWS_WITH(db.exec("UPDATE audit_log SET detail = 'rewritten', status = 200"),
                      Catch::Contains("append-only") && Catch::Contains("UPDATE"));
  REQUIRE_THROWS_WITH(db.exec("UPDATE audit_log SET id = id + 100"),
                      Catch::Contains("append-only"));
  REQUIRE_THROWS_WITH(db.exec("DELETE FROM audit_log"),
                      Catch::Contains("append-only") && Catch::Contains("DELETE"));
  REQUIRE_THROWS_WITH(db.exec("DELETE FROM audit_log WHERE id = " + std::to_string(e.id)),
                      Catch::Contains("append-only"));
  // Appending stays allowed, there too.
  db.exec("INSERT INTO audit_log (at, operator_name, remote_address, action, target, detail,"
          " status) VALUES (1, 'shell', '', 'insert', '', '', 0)");

  const std::vector<audit_entry> after = st.audit_log(0, 10);
  REQUIRE(after.size() == 2);
  check_same(after[1], e);
  CHECK(after[0].id > e.id);
  CHECK(after[0].operator_name == "shell");
  CHECK(db.execAndGet("SELECT count(*) FROM audit_log WHERE detail = 'rewritten'").getInt() == 0);
}
