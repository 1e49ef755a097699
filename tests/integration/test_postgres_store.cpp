// postgres_store against a real PostgreSQL server: the store contract
// (store_contract.hpp), then what only this backend has: array literals and
// text cleaning, reconnecting after a lost connection, the database's
// encoding, migrations of several stores starting at once, the audit log's
// triggers.
//
// The server is the one BROKER_TEST_DATABASE_URL names; ctest's "pg" fixture
// starts a throwaway one (tests/support/pg_cluster.sh). Every test starts from
// an empty schema "store_test" in that database, dropped and recreated.
#include <catch2/catch.hpp>

#include <pqxx/pqxx>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "storage/migrations.hpp"
#include "storage/postgres_store.hpp"
#include "tests/integration/store_contract.hpp"

using namespace broker;
using namespace store_contract;

#if defined(__SANITIZE_ADDRESS__)
// libpqxx 6.4 leaks the PGresult of a statement that fails because the
// connection is gone: connection_base::make_result asks the dead connection
// for its encoding, which throws before the result owns the PGresult (libpqxx
// 7 fixed it). The reconnect tests do exactly that; a few KB per lost
// connection, in the library, not ours to free.
extern "C" const char* __lsan_default_suppressions() { return "leak:libpqxx-6\n"; }
#endif

namespace {

std::string server_url() {
  const char* url = std::getenv("BROKER_TEST_DATABASE_URL");
  if (url == nullptr || *url == '\0')
    throw std::runtime_error(
      "BROKER_TEST_DATABASE_URL is not set: run these tests through ctest, whose pg fixture "
      "starts a throwaway server (tests/support/pg_cluster.sh)");
  return url;
}

// The same database with store_test first on the search path, so the store's
// unqualified table names land there.
std::string schema_url() {
  std::string url = server_url();
  url += url.find('?') == std::string::npos ? '?' : '&';
  return url + "options=-c%20search_path%3Dstore_test";
}

// The same server, another database.
std::string database_url(const std::string& name) {
  std::string url = server_url();
  const size_t query = url.find('?');
  const size_t slash = url.rfind('/', query);
  return url.substr(0, slash + 1) + name + (query == std::string::npos ? "" : url.substr(query));
}

// Runs SQL on a connection of its own, outside any store.
pqxx::result run_sql(const std::string& url, const std::string& sql) {
  pqxx::connection c(url);
  pqxx::nontransaction tx(c);
  tx.exec("SET client_min_messages = warning"); // no NOTICEs for IF EXISTS
  return tx.exec(sql);
}

postgres_options test_options() {
  postgres_options o;
  o.application_name = "store_test"; // "store_test writer", "store_test reader"
  return o;
}

std::vector<migration_record> recorded_migrations(const std::string& url) {
  std::vector<migration_record> rows;
  for (const pqxx::row& r :
       run_sql(url, "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"))
    rows.push_back({r[0].as<int>(), r[1].as<std::string>(), r[2].as<std::string>()});
  return rows;
}

// A fresh, empty schema: each call starts from nothing.
backend pg_backend() {
  run_sql(server_url(), "DROP SCHEMA IF EXISTS store_test CASCADE; CREATE SCHEMA store_test");
  const std::string url = schema_url();
  backend b;
  b.open = [url] { return std::make_unique<postgres_store>(url, test_options()); };
  b.exec = [url](const std::string& sql) { run_sql(url, sql); };
  b.recorded_migrations = [url] { return recorded_migrations(url); };
  b.create_at_version = [url](int version) {
    std::string sql = schema_migrations_postgres_ddl;
    for (int v = 1; v <= version; ++v) {
      const migration& m = all_migrations().at(v - 1);
      sql += m.postgres_sql;
      sql += ";\nINSERT INTO schema_migrations VALUES (" + std::to_string(v) + ", '" + m.name
             + "', '2026-01-01T00:00:00.000Z');\n";
    }
    run_sql(url, "BEGIN;\n" + sql + "COMMIT;");
  };
  b.fail_on_boom_key = [url](bool on) {
    run_sql(url, on ? "CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS $$"
                      " BEGIN IF NEW.idempotency_key = 'boom' THEN"
                      " RAISE EXCEPTION 'injected failure'; END IF; RETURN NEW; END $$;"
                      " CREATE TRIGGER boom BEFORE INSERT ON idempotency"
                      " FOR EACH ROW EXECUTE FUNCTION boom()"
                    : "DROP TRIGGER boom ON idempotency; DROP FUNCTION boom()");
  };
  return b;
}

// Process ids of the store's connections ("writer" or "reader").
std::vector<int> store_pids(const std::string& role) {
  std::vector<int> pids;
  for (const pqxx::row& r : run_sql(server_url(), "SELECT pid FROM pg_stat_activity"
                                                  " WHERE application_name = 'store_test "
                                                      + role + "' ORDER BY pid"))
    pids.push_back(r[0].as<int>());
  return pids;
}

// Kills the store's server processes (writer, reader or both, by LIKE
// pattern) and waits until they are gone, so the store's next call finds its
// connection closed: deterministic, unlike racing the kill.
void terminate_store_connections(const std::string& role_pattern) {
  const std::string where =
    " FROM pg_stat_activity WHERE application_name LIKE 'store_test " + role_pattern + "'";
  // From the "postgres" database: the test database may be refusing connections.
  const std::string url = database_url("postgres");
  run_sql(url, "SELECT pg_terminate_backend(pid)" + where);
  for (int i = 0; i < 200; ++i) {
    if (run_sql(url, "SELECT count(*)" + where)[0][0].as<int>() == 0)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  FAIL("the store's connections were not terminated within 5 s");
}

// While alive, the test database refuses new connections (ALLOW_CONNECTIONS
// false applies to superusers too). It is switched from the "postgres"
// database (a database can't refuse its own session) on a connection kept
// open to undo it, even when a test fails.
class connections_refused {
public:
  connections_refused()
    : name_(run_sql(server_url(), "SELECT current_database()")[0][0].as<std::string>()),
      conn_(database_url("postgres")) {
    set(false);
  }
  ~connections_refused() {
    try {
      set(true);
    } catch (const std::exception& e) {
      WARN("could not allow connections again: " << e.what());
    }
  }
  connections_refused(const connections_refused&) = delete;
  connections_refused& operator=(const connections_refused&) = delete;

private:
  void set(bool allowed) {
    pqxx::nontransaction tx(conn_);
    tx.exec("ALTER DATABASE " + tx.quote_name(name_) + " ALLOW_CONNECTIONS "
            + (allowed ? "true" : "false"));
  }
  std::string name_;
  pqxx::connection conn_;
};

// The elements PostgreSQL parses out of an array literal.
std::vector<std::string> parsed_by_server(const std::string& literal) {
  pqxx::connection c(server_url());
  pqxx::nontransaction tx(c);
  std::vector<std::string> out;
  for (const pqxx::row& r :
       tx.exec_params("SELECT x FROM unnest($1::text[]) WITH ORDINALITY AS t(x, n) ORDER BY n",
                      literal))
    out.push_back(r[0].as<std::string>());
  return out;
}

const std::string fffd = "\xEF\xBF\xBD"; // U+FFFD

} // namespace

// ---- The store contract ----------------------------------------------------------

TEST_CASE("postgres_store: every row type round-trips with every field", "[postgres_store]") {
  every_row_type_round_trips(pg_backend());
}

TEST_CASE("postgres_store: upserts keep the latest state of each row", "[postgres_store]") {
  upserts_keep_the_latest_state(pg_backend());
}

TEST_CASE("postgres_store: a replayed exec_id or idempotency entry is ignored",
          "[postgres_store]") {
  replayed_exec_id_or_idempotency_entry_is_ignored(pg_backend());
}

TEST_CASE("postgres_store: a failing batch leaves nothing and the store keeps working",
          "[postgres_store]") {
  failing_batch_leaves_nothing(pg_backend());
}

TEST_CASE("postgres_store: a batch retried after a failure stores every row once",
          "[postgres_store]") {
  retried_batch_stores_every_row_once(pg_backend());
}

TEST_CASE("postgres_store: committed data survives reopening", "[postgres_store]") {
  committed_data_survives_reopening(pg_backend());
}

TEST_CASE("postgres_store: migrations are recorded once and checked on open",
          "[postgres_store]") {
  migrations_are_recorded_once_and_checked_on_open(pg_backend());
}

TEST_CASE("postgres_store: an unparseable stored enum is an error, not a guess",
          "[postgres_store]") {
  unparseable_stored_enum_is_an_error(pg_backend());
}

TEST_CASE("postgres_store: concurrent readers never see half a batch",
          "[postgres_store][threads]") {
  concurrent_readers_never_see_half_a_batch(pg_backend());
}

TEST_CASE("postgres_store: candles_since returns candles from a start, by symbol then start",
          "[postgres_store]") {
  candles_since_returns_candles_from_a_start(pg_backend());
}

TEST_CASE("postgres_store: the journal round-trips and refuses an unbalanced entry",
          "[postgres_store][ledger]") {
  journal_round_trips_and_refuses_an_unbalanced_entry(pg_backend());
}

TEST_CASE("postgres_store: migration 6 splits existing money into free and held in an opening entry",
          "[postgres_store][migrations][ledger]") {
  migration_6_opens_the_journal_with_existing_money(pg_backend());
}

TEST_CASE("postgres_store: notifications round-trip and are marked read by id", "[postgres_store]") {
  notifications_round_trip_and_are_marked_read(pg_backend());
}

TEST_CASE("postgres_store: watchlists round-trip and upsert", "[postgres_store]") {
  watchlists_round_trip_and_upsert(pg_backend());
}

TEST_CASE("postgres_store: candles_of returns one symbol's candles in [from, to)",
          "[postgres_store]") {
  candles_of_returns_one_symbols_range(pg_backend());
}

TEST_CASE("postgres_store: a user's trading block round-trips, is upserted and survives reopening",
          "[postgres_store]") {
  trading_blocked_round_trips_and_is_upserted(pg_backend());
}

TEST_CASE("postgres_store: migration 9 leaves the users already there unblocked",
          "[postgres_store][migrations]") {
  migration_9_leaves_existing_users_unblocked(pg_backend());
}

TEST_CASE("postgres_store: operators round-trip and a taken name stays taken",
          "[postgres_store][operator_console]") {
  operators_round_trip_and_names_stay_taken(pg_backend());
}

TEST_CASE("postgres_store: the audit log appends and pages newest first",
          "[postgres_store][operator_console]") {
  audit_log_appends_and_pages_newest_first(pg_backend());
}

TEST_CASE("postgres_store: halts are put, replaced and removed, and kept across reopening",
          "[postgres_store][operator_console]") {
  halts_are_put_replaced_and_removed(pg_backend());
}

TEST_CASE("postgres_store: the console's writes take turns with commits",
          "[postgres_store][operator_console][threads]") {
  console_writes_race_commits(pg_backend());
}

// ---- Array literals and text ------------------------------------------------------

TEST_CASE("postgres array_literal: numbers and quoted, escaped text", "[postgres_store]") {
  detail::array_literal empty;
  CHECK(empty.take() == "{}");

  detail::array_literal numbers;
  for (int64_t v : {int64_t{0}, int64_t{1}, int64_t{-2}, i64_min, i64_max})
    numbers.add(v);
  CHECK(numbers.size() == 5);
  CHECK(numbers.take() == "{0,1,-2,-9223372036854775808,9223372036854775807}");

  detail::array_literal text;
  for (const char* s : {"", "a", "NULL", "a\"b", "c\\d", "{x, y}"})
    text.add(s);
  CHECK(text.take() == R"({"","a","NULL","a\"b","c\\d","{x, y}"})");

  SECTION("the server reads back exactly what went in") {
    const std::vector<std::string> tricky{
      "",      "NULL",   "null",         " leading and trailing ",
      "\"",    "\\",     "\\\"",         "a,b",
      "{}",    "{\"a\"}", "line\nbreak\ttab\r", "'single'",
      "\\N",   "\xE2\x82\xB9 \xF0\x9F\x9A\x80", "$1::text[]", std::string(5000, 'x')};
    detail::array_literal literal;
    for (const std::string& s : tricky)
      literal.add(s);
    CHECK(parsed_by_server(literal.take()) == tricky);
  }
}

TEST_CASE("postgres_text: NUL and invalid UTF-8 become U+FFFD, valid text is kept",
          "[postgres_store]") {
  using detail::postgres_text;
  for (const std::string& valid :
       {std::string(""), std::string("plain ASCII"), std::string("Zo\xC3\xAB"),
        std::string("\xE0\xA4\x85 \xE2\x82\xB9"), std::string("\xF0\x9F\x9A\x80"),
        std::string("\xF4\x8F\xBF\xBF"), fffd, std::string("\xEE\x80\x80")})
    CHECK(postgres_text(valid) == valid);

  CHECK(postgres_text(std::string("a\0b", 3)) == "a" + fffd + "b");
  CHECK(postgres_text("\x80") == fffd);                              // lone continuation
  CHECK(postgres_text("\xC0\xAF") == fffd + fffd);                   // overlong '/'
  CHECK(postgres_text("\xE0\x80\xAF") == fffd + fffd + fffd);        // overlong
  CHECK(postgres_text("\xED\xA0\x80") == fffd + fffd + fffd);        // surrogate
  CHECK(postgres_text("\xF4\x90\x80\x80") == fffd + fffd + fffd + fffd); // above U+10FFFF
  CHECK(postgres_text("\xF5\x80") == fffd + fffd);
  CHECK(postgres_text("\xFF") == fffd);
  CHECK(postgres_text("\xE2\x82") == fffd + fffd);                   // truncated at the end
  CHECK(postgres_text("\xE2\x82" "A\xE2\x82\xB9") == fffd + fffd + "A\xE2\x82\xB9");

  detail::array_literal literal;
  literal.add(std::string("x\0y", 3));
  CHECK(literal.take() == "{\"x" + fffd + "y\"}");
}

// ---- PostgreSQL only --------------------------------------------------------------

TEST_CASE("postgres_store: NUL bytes and invalid UTF-8 are stored as U+FFFD",
          "[postgres_store]") {
  backend b = pg_backend();
  std::unique_ptr<store> st = b.open();
  write_batch batch;
  batch.orders = {make_order(1, 1)};
  batch.orders[0].reject_message = std::string("band \0 [2200, 2700] \xFF", 21);
  // Two symbols that differ only in bytes PostgreSQL can't hold are one key
  // once cleaned: the later row wins, as for any repeated key.
  batch.holdings = {make_holding(1, std::string("A\0", 2)), make_holding(1, "A\xFF")};
  batch.holdings[1].position.quantity = 42;
  st->commit(batch);

  store_snapshot s = st->load();
  REQUIRE(s.orders.size() == 1);
  CHECK(s.orders[0].reject_message == "band " + fffd + " [2200, 2700] " + fffd);
  REQUIRE(s.holdings.size() == 1);
  CHECK(s.holdings[0].position.symbol == "A" + fffd);
  CHECK(s.holdings[0].position.quantity == 42);
}

TEST_CASE("postgres_store: a connection lost while idle is replaced by the next call",
          "[postgres_store]") {
  backend b = pg_backend();
  std::unique_ptr<store> st = b.open();
  write_batch first;
  first.orders = {make_order(1, 1)};
  first.executions = {make_execution("X1", make_order_id(1, 1), exec_kind::accepted)};
  first.candles = {make_candle("TCS", 0)};
  st->commit(first);
  const std::vector<int> writer_before = store_pids("writer");
  const std::vector<int> reader_before = store_pids("reader");
  REQUIRE(writer_before.size() == 1);
  REQUIRE(reader_before.size() == 1);

  SECTION("both connections") {
    terminate_store_connections("%");
    write_batch second;
    second.orders = {make_order(1, 2)};
    second.executions = {make_execution("X2", make_order_id(1, 1), exec_kind::trade)};
    st->commit(second);
    CHECK(st->load().orders.size() == 2);
    CHECK(st->executions_of(make_order_id(1, 1)).size() == 2);
    CHECK(st->candles_since(0).size() == 1);
    // New connections, set up as the store sets up its own.
    const std::vector<int> writer_after = store_pids("writer");
    const std::vector<int> reader_after = store_pids("reader");
    REQUIRE(writer_after.size() == 1);
    REQUIRE(reader_after.size() == 1);
    CHECK(writer_after != writer_before);
    CHECK(reader_after != reader_before);
  }

  SECTION("the reader only, under each read") {
    terminate_store_connections("reader");
    CHECK(st->executions_of(make_order_id(1, 1)).size() == 1);
    terminate_store_connections("reader");
    CHECK(st->candles_since(0).size() == 1);
    terminate_store_connections("reader");
    CHECK(st->candles_of("TCS", 0, 1).size() == 1);
    terminate_store_connections("reader");
    CHECK(st->load().orders.size() == 1);
    CHECK(store_pids("reader").size() == 1);
    CHECK(store_pids("writer") == writer_before);
  }
}

TEST_CASE("postgres_store: while the database refuses connections calls fail, then recover",
          "[postgres_store]") {
  backend b = pg_backend();
  std::unique_ptr<store> st = b.open();
  write_batch first = full_batch();
  st->commit(first);

  write_batch second;
  second.orders = {make_order(10, 9)};
  second.executions = {make_execution("E-60", make_order_id(10, 1), exec_kind::trade)};
  second.candles = {make_candle("TCS", 0)};
  {
    connections_refused refused;
    terminate_store_connections("%");
    // Each call tries to reconnect (the server answers "not accepting
    // connections") and says so, rather than hanging or retrying forever.
    REQUIRE_THROWS_AS(st->commit(second), store_error);
    REQUIRE_THROWS_WITH(st->commit(second), Catch::Contains("not currently accepting"));
    REQUIRE_THROWS_AS(st->load(), store_error);
    REQUIRE_THROWS_AS(st->executions_of(make_order_id(10, 1)), store_error);
    REQUIRE_THROWS_AS(st->candles_since(0), store_error);
    REQUIRE_THROWS_AS(st->candles_of("TCS", 0, 1), store_error);
  }
  // The persistence actor's retry, twice over: every row once.
  st->commit(second);
  st->commit(second);

  write_batch want = first;
  want.orders.push_back(second.orders[0]);
  want.executions.push_back(second.executions[0]);
  check_same(st->load(), want);
  check_same(st->executions_of(make_order_id(10, 1)),
             {first.executions[0], first.executions[2], first.executions[4],
              second.executions[0]});
  // By symbol, then start: M&M -1, M&M 0, TCS 0 (new), TCS 5, bse 0.
  check_candles(*st, {first.candles[0], first.candles[1], second.candles[0], first.candles[2],
                      first.candles[3]});
}

TEST_CASE("postgres_store: a server that can't be reached or a non-UTF-8 database is refused",
          "[postgres_store]") {
  REQUIRE_THROWS_AS(postgres_store("postgresql://postgres@127.0.0.1:1/broker_test"), store_error);
  REQUIRE_THROWS_AS(postgres_store(database_url("no_such_database")), store_error);

  run_sql(server_url(), "DROP DATABASE IF EXISTS broker_test_latin1");
  run_sql(server_url(), "CREATE DATABASE broker_test_latin1 ENCODING 'LATIN1' TEMPLATE template0"
                        " LC_COLLATE 'C' LC_CTYPE 'C'");
  REQUIRE_THROWS_WITH(postgres_store(database_url("broker_test_latin1")),
                      Catch::Contains("LATIN1") && Catch::Contains("UTF8"));
  run_sql(server_url(), "DROP DATABASE broker_test_latin1");
}

TEST_CASE("postgres_store: the schema is what the migrations leave",
          "[postgres_store][migrations]") {
  backend b = pg_backend();
  { std::unique_ptr<store> st = b.open(); }
  std::vector<std::string> tables;
  for (const pqxx::row& r : run_sql(server_url(), "SELECT tablename FROM pg_tables"
                                                  " WHERE schemaname = 'store_test'"
                                                  " ORDER BY tablename"))
    tables.push_back(r[0].as<std::string>());
  CHECK(tables == std::vector<std::string>{"accounts", "alerts", "audit_log", "candles",
                                           "executions", "holdings", "idempotency", "journal",
                                           "notifications", "operators", "orders",
                                           "schema_migrations", "settlements", "trading_halts",
                                           "transfers", "users", "watchlists"});
  auto index_exists = [](const std::string& name) {
    return run_sql(server_url(), "SELECT count(*) FROM pg_indexes WHERE schemaname = 'store_test'"
                                 " AND indexname = '" + name + "'")[0][0].as<int>() == 1;
  };
  CHECK(index_exists("executions_by_order"));
  CHECK_FALSE(index_exists("orders_by_user"));
  // Migration 2: idempotency entries are keyed by their order.
  const pqxx::result key = run_sql(
    server_url(), "SELECT a.attname FROM pg_index i JOIN pg_attribute a"
                  " ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)"
                  " WHERE i.indrelid = 'store_test.idempotency'::regclass AND i.indisprimary");
  REQUIRE(key.size() == 1);
  CHECK(key[0][0].as<std::string>() == "order_id");
}

TEST_CASE("postgres_store: a database at migration 1 is upgraded with its rows kept",
          "[postgres_store][migrations]") {
  backend b = pg_backend();
  // The database as a build with only migration 1 left it, with rows in it.
  b.exec(schema_migrations_postgres_ddl);
  b.exec(all_migrations().at(0).postgres_sql);
  b.exec("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')");
  b.exec("INSERT INTO accounts VALUES (7, 1000, 250, 3, 2)");
  b.exec("INSERT INTO idempotency VALUES (7, 'key-1', 'sha:1', 117440513)");
  b.exec("INSERT INTO idempotency VALUES (7, 'key-2', 'sha:2', 117440514)");
  b.exec("INSERT INTO executions (exec_id, order_id, user_id, exchange_order_id, kind,"
         " last_quantity, last_price, cum_quantity, leaves_quantity, report_text, exec_time,"
         " symbol, side) VALUES ('OLD-1', 117440513, 7, 'NSE-1', 'ACCEPTED', 0, 0, 0, 10, '',"
         " 5, 'TCS', 'BUY')");

  std::unique_ptr<store> st = b.open();
  store_snapshot snap = st->load();
  REQUIRE(snap.accounts.size() == 1);
  CHECK(snap.accounts[0].user == 7);
  CHECK(snap.accounts[0].cash == 1250); // available + held: the held part is derived now
  CHECK(snap.accounts[0].next_transfer_id == 2);
  check_same(snap.idempotency, {make_idem(7, "key-1", "sha:1", 117440513),
                                make_idem(7, "key-2", "sha:2", 117440514)});
  CHECK(b.recorded_migrations().size() == all_migrations().size());

  // Executions written after the upgrade come after the old ones.
  write_batch later;
  later.executions = {make_execution("NEW-1", 117440513, exec_kind::trade)};
  st->commit(later);
  std::vector<execution_row> rows = st->executions_of(117440513);
  REQUIRE(rows.size() == 2);
  CHECK(rows[0].report.exec_id == "OLD-1");
  CHECK(rows[1].report.exec_id == "NEW-1");
}

TEST_CASE("postgres_store: stores opening at the same time migrate once",
          "[postgres_store][migrations][threads]") {
  backend b = pg_backend();
  constexpr int stores = 4;
  std::vector<std::thread> threads;
  std::vector<std::string> errors(stores);
  for (int i = 0; i < stores; ++i)
    threads.emplace_back([&b, &errors, i] {
      try {
        b.open();
      } catch (const std::exception& e) {
        errors[i] = e.what();
      }
    });
  for (std::thread& t : threads)
    t.join();
  for (const std::string& e : errors)
    CHECK(e.empty());
  CHECK(b.recorded_migrations().size() == all_migrations().size());
}

TEST_CASE("postgres_store: a large batch with repeated keys is one commit", "[postgres_store]") {
  backend b = pg_backend();
  std::unique_ptr<store> st = b.open();
  constexpr int n = 5000;
  write_batch batch;
  for (int k = 1; k <= n; ++k) {
    batch.orders.push_back(make_order(1, k));
    batch.executions.push_back(
      make_execution("L-" + std::to_string(k), make_order_id(1, k), exec_kind::trade));
  }
  // Every order updated once more in the same flush: the later state wins.
  for (int k = 1; k <= n; ++k) {
    order o = batch.orders[k - 1];
    o.status = order_status::filled;
    batch.orders.push_back(o);
  }
  st->commit(batch);
  store_snapshot s = st->load();
  REQUIRE(s.orders.size() == static_cast<size_t>(n));
  for (const order& o : s.orders)
    CHECK(o.status == order_status::filled);
  CHECK(s.executions.size() == static_cast<size_t>(n));
  CHECK(s.executions.front().report.exec_id == "L-1");
  CHECK(s.executions.back().report.exec_id == "L-" + std::to_string(n));
}

TEST_CASE("postgres_store: the audit log refuses UPDATE, DELETE and TRUNCATE from any connection",
          "[postgres_store][operator_console]") {
  backend b = pg_backend();
  std::unique_ptr<store> st = b.open();
  audit_entry e = make_audit(1);
  e.id = st->append_audit(e);
  REQUIRE(st->audit_log(0, 10).size() == 1);

  // Not through the store: a connection of its own, as psql would be.
  const std::string url = schema_url();
  REQUIRE_THROWS_WITH(run_sql(url, "UPDATE audit_log SET detail = 'rewritten', status = 200"),
                      Catch::Contains("append-only") && Catch::Contains("UPDATE"));
  REQUIRE_THROWS_WITH(run_sql(url, "DELETE FROM audit_log WHERE id = " + std::to_string(e.id)),
                      Catch::Contains("append-only") && Catch::Contains("DELETE"));
  REQUIRE_THROWS_WITH(run_sql(url, "TRUNCATE audit_log"),
                      Catch::Contains("append-only") && Catch::Contains("TRUNCATE"));
  // An id can't be chosen either: the identity column is GENERATED ALWAYS.
  REQUIRE_THROWS_AS(run_sql(url, "INSERT INTO audit_log (id, at, operator_name, remote_address,"
                                 " action, target, detail, status)"
                                 " VALUES (1000000, 1, '', '', 'x', '', '', 0)"),
                    pqxx::sql_error);
  // Appending stays allowed, there too.
  run_sql(url, "INSERT INTO audit_log (at, operator_name, remote_address, action, target, detail,"
               " status) VALUES (1, 'psql', '', 'insert', '', '', 0)");

  const std::vector<audit_entry> after = st->audit_log(0, 10);
  REQUIRE(after.size() == 2);
  check_same(after[1], e);
  CHECK(after[0].id > e.id);
  CHECK(after[0].operator_name == "psql");
  CHECK(run_sql(url, "SELECT count(*) FROM audit_log WHERE detail = 'rewritten'")[0][0].as<int>()
        == 0);
}
