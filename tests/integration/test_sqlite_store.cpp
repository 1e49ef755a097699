// sqlite_store against real files: round trips, upsert and insert-once rules,
// all-or-nothing batches, durability across instances, migrations, and reads
// racing commits.
#include <catch2/catch.hpp>

#include <SQLiteCpp/SQLiteCpp.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "storage/migrations.hpp"
#include "storage/sqlite_store.hpp"

using namespace broker;

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

// Fixture order ids that say whose they are, so a test reads well. (Real ids
// are node-wide and carry no owner; the store does not care either way.)
constexpr order_id make_order_id(user_id user, int64_t seq) { return user * 1000 + seq; }
constexpr user_id owner_of(order_id id) { return id / 1000; }

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();

// ---- Sample rows: every field set to something other than its default -------

user_profile make_user(user_id id, kyc_status kyc) {
  user_profile u;
  u.id = id;
  u.email = "user" + std::to_string(id) + "@example.in";
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  u.name = "Ananya Rao \xE0\xA4\x85\xE0\xA4\xA8\xE0\xA4\xA8\xE0\xA5\x8D\xE0\xA4\xAF\xE0\xA4\xBE "
           "\xF0\x9F\x9A\x80 Zo\xC3\xAB"; // Devanagari, an emoji, a diaeresis
  u.phone = "+91 98765 4321" + std::to_string(id % 10);
  u.kyc = kyc;
  u.pan = "ABCDE1234F";
  u.date_of_birth = "1990-02-28";
  u.address = "12, MG Road\nBengaluru 560001";
  u.kyc_reason = kyc == kyc_status::rejected ? "PAN name mismatch" : "";
  u.created_at = 1'700'000'000'123'456'789 + id;
  return u;
}

account_row make_account(user_id user) {
  account_row a;
  a.user = user;
  a.cash = -987'654'321'012; // an overdraft must round-trip even if the books forbid it
  a.next_transfer_id = 7;
  return a;
}

holding_row make_holding(user_id user, const std::string& symbol) {
  holding_row h;
  h.user = user;
  h.position.symbol = symbol;
  h.position.quantity = 300;
  h.position.held_quantity = 120;
  h.position.cost_basis = i64_max; // full 64-bit range
  return h;
}

order make_order(user_id user, int64_t seq) {
  order o;
  o.id = make_order_id(user, seq);
  o.user = user;
  o.symbol = "RELIANCE";
  o.side = seq % 2 ? side::sell : side::buy;
  o.type = static_cast<order_type>(seq % 4);
  o.validity = seq % 2 ? validity::ioc : validity::day;
  o.quantity = 100 + seq;
  o.price = 245'075;
  o.trigger_price = 244'000;
  o.status = static_cast<order_status>(seq % 8);
  o.filled_quantity = 10 + seq;
  o.filled_value = 2'450'750 * seq;
  o.held_cash = 1'000'000;
  o.exchange_order_id = "NSE-" + std::to_string(seq);
  o.reject_code = "PRICE_BAND";
  o.reject_message = std::string("outside band \0 [2200, 2700]", 27); // embedded NUL
  o.idempotency_key = "idem-\xE2\x82\xB9-" + std::to_string(seq);      // rupee sign
  o.created_at = 1'700'000'000'000'000'000 + seq;
  o.updated_at = 1'700'000'001'000'000'000 + seq;
  return o;
}

execution_row make_execution(const std::string& exec_id, order_id oid, exec_kind kind) {
  execution_row e;
  e.user = owner_of(oid);
  e.symbol = "TCS";
  e.side = side::sell;
  execution_report& x = e.report;
  x.exec_id = exec_id;
  x.client_order_id = oid;
  x.exchange_order_id = "NSE-X-" + exec_id;
  x.kind = kind;
  x.last_quantity = 25;
  x.last_price = 350'010;
  x.cum_quantity = 75;
  x.leaves_quantity = 25;
  x.text = "partial \xE2\x9C\x93";
  x.time = i64_min + 1; // full 64-bit range, negative
  return e;
}

transfer make_transfer(user_id user, int64_t id, transfer_kind kind, transfer_status status) {
  transfer t;
  t.id = id;
  t.user = user;
  t.kind = kind;
  t.amount = 5'000'000 + id;
  t.status = status;
  t.gateway_reference = "pay_" + std::to_string(id);
  t.failure_reason = status == transfer_status::failed ? "bank declined" : "";
  t.created_at = 1'690'000'000'000'000'000 + id;
  t.updated_at = 1'690'000'005'000'000'000 + id;
  return t;
}

idempotency_entry make_idem(user_id user, const std::string& key, const std::string& digest,
                            order_id oid) {
  idempotency_entry i;
  i.user = user;
  i.key = key;
  i.request_digest = digest;
  i.order = oid;
  return i;
}

// ---- Field-by-field comparison (the domain structs have no operator==) -------

void check_same(const user_profile& a, const user_profile& b) {
  CHECK(a.id == b.id);
  CHECK(a.email == b.email);
  CHECK(a.password_hash == b.password_hash);
  CHECK(a.name == b.name);
  CHECK(a.phone == b.phone);
  CHECK(a.kyc == b.kyc);
  CHECK(a.pan == b.pan);
  CHECK(a.date_of_birth == b.date_of_birth);
  CHECK(a.address == b.address);
  CHECK(a.kyc_reason == b.kyc_reason);
  CHECK(a.created_at == b.created_at);
}

void check_same(const account_row& a, const account_row& b) {
  CHECK(a.user == b.user);
  CHECK(a.cash == b.cash);
  CHECK(a.next_transfer_id == b.next_transfer_id);
}

void check_same(const holding_row& a, const holding_row& b) {
  CHECK(a.user == b.user);
  CHECK(a.position.symbol == b.position.symbol);
  CHECK(a.position.quantity == b.position.quantity);
  CHECK(a.position.held_quantity == b.position.held_quantity);
  CHECK(a.position.cost_basis == b.position.cost_basis);
}

void check_same(const order& a, const order& b) {
  CHECK(a.id == b.id);
  CHECK(a.user == b.user);
  CHECK(a.symbol == b.symbol);
  CHECK(a.side == b.side);
  CHECK(a.type == b.type);
  CHECK(a.validity == b.validity);
  CHECK(a.quantity == b.quantity);
  CHECK(a.price == b.price);
  CHECK(a.trigger_price == b.trigger_price);
  CHECK(a.status == b.status);
  CHECK(a.filled_quantity == b.filled_quantity);
  CHECK(a.filled_value == b.filled_value);
  CHECK(a.held_cash == b.held_cash);
  CHECK(a.exchange_order_id == b.exchange_order_id);
  CHECK(a.reject_code == b.reject_code);
  CHECK(a.reject_message == b.reject_message);
  CHECK(a.idempotency_key == b.idempotency_key);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void check_same(const execution_row& a, const execution_row& b) {
  CHECK(a.user == b.user);
  CHECK(a.symbol == b.symbol);
  CHECK(a.side == b.side);
  CHECK(a.report.exec_id == b.report.exec_id);
  CHECK(a.report.client_order_id == b.report.client_order_id);
  CHECK(a.report.exchange_order_id == b.report.exchange_order_id);
  CHECK(a.report.kind == b.report.kind);
  CHECK(a.report.last_quantity == b.report.last_quantity);
  CHECK(a.report.last_price == b.report.last_price);
  CHECK(a.report.cum_quantity == b.report.cum_quantity);
  CHECK(a.report.leaves_quantity == b.report.leaves_quantity);
  CHECK(a.report.text == b.report.text);
  CHECK(a.report.time == b.report.time);
}

void check_same(const transfer& a, const transfer& b) {
  CHECK(a.id == b.id);
  CHECK(a.user == b.user);
  CHECK(a.kind == b.kind);
  CHECK(a.amount == b.amount);
  CHECK(a.status == b.status);
  CHECK(a.gateway_reference == b.gateway_reference);
  CHECK(a.failure_reason == b.failure_reason);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

void check_same(const idempotency_entry& a, const idempotency_entry& b) {
  CHECK(a.user == b.user);
  CHECK(a.key == b.key);
  CHECK(a.request_digest == b.request_digest);
  CHECK(a.order == b.order);
}

template <class T>
void check_same(const std::vector<T>& got, const std::vector<T>& want) {
  REQUIRE(got.size() == want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    INFO("row " << i);
    check_same(got[i], want[i]);
  }
}

// `want` must list each table in load()'s order: users by id, accounts by
// user, holdings by (user, symbol), orders by id, executions as inserted,
// transfers by (user, id), idempotency by (user, key).
void check_same(const store_snapshot& got, const write_batch& want) {
  check_same(got.users, want.users);
  check_same(got.accounts, want.accounts);
  check_same(got.holdings, want.holdings);
  check_same(got.orders, want.orders);
  check_same(got.executions, want.executions);
  check_same(got.transfers, want.transfers);
  check_same(got.idempotency, want.idempotency);
}

// Rows of every table, every enum value at least once, already in load() order.
write_batch full_batch() {
  write_batch b;
  for (int k = 0; k < 4; ++k)
    b.users.push_back(make_user(10 + k, static_cast<kyc_status>(k)));
  b.accounts = {make_account(10), make_account(11)};
  b.holdings = {make_holding(10, "INFY"), make_holding(10, "TCS"), make_holding(11, "INFY")};
  for (int seq = 1; seq <= 8; ++seq)
    b.orders.push_back(make_order(10, seq));
  // Not in exec_id order, to tell insertion order from key order.
  const char* ids[] = {"E-30", "E-10", "E-50", "E-20", "E-40"};
  for (int k = 0; k < 5; ++k)
    b.executions.push_back(make_execution(ids[k], make_order_id(10, 1 + k % 2),
                                          static_cast<exec_kind>(k)));
  for (int k = 0; k < 2; ++k)
    for (int s = 0; s < 3; ++s)
      b.transfers.push_back(make_transfer(10, 1 + k * 3 + s, static_cast<transfer_kind>(k),
                                          static_cast<transfer_status>(s)));
  b.idempotency = {make_idem(10, "key-a", "sha256:aaa", make_order_id(10, 1)),
                   make_idem(10, "key-b", "sha256:bbb", make_order_id(10, 2)),
                   make_idem(11, "key-a", "sha256:ccc", 0)};
  return b;
}

struct migration_record {
  int version;
  std::string name;
  std::string applied_at;
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

} // namespace

TEST_CASE("sqlite_store: every row type round-trips with every field", "[sqlite_store]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  CHECK(st.load().orders.empty());

  const write_batch batch = full_batch();
  st.commit(batch);
  check_same(st.load(), batch);

  SECTION("executions_of returns one order's executions in insertion order") {
    // Order 1 got E-30, E-50, E-40; order 2 got E-10, E-20.
    std::vector<execution_row> one = st.executions_of(make_order_id(10, 1));
    check_same(one, {batch.executions[0], batch.executions[2], batch.executions[4]});
    std::vector<execution_row> two = st.executions_of(make_order_id(10, 2));
    check_same(two, {batch.executions[1], batch.executions[3]});
    CHECK(st.executions_of(make_order_id(10, 3)).empty());
  }

  SECTION("an empty batch is a no-op") {
    st.commit(write_batch{});
    check_same(st.load(), batch);
  }
}

TEST_CASE("sqlite_store: upserts keep the latest state of each row", "[sqlite_store]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  write_batch first;
  first.users = {make_user(1, kyc_status::pending)};
  first.accounts = {make_account(1)};
  first.holdings = {make_holding(1, "INFY")};
  first.orders = {make_order(1, 1)};
  first.transfers = {make_transfer(1, 1, transfer_kind::withdrawal, transfer_status::pending)};
  st.commit(first);

  write_batch second;
  user_profile u = first.users[0];
  u.email = "renamed@example.in";
  u.kyc = kyc_status::verified;
  u.name = "Ananya R.";
  second.users = {u};
  account_row a = first.accounts[0];
  a.cash = 1;
  a.next_transfer_id = 8;
  second.accounts = {a};
  holding_row h = first.holdings[0];
  h.position = {"INFY", 0, 0, 0}; // a zero-quantity row may stay
  second.holdings = {h};
  order o = first.orders[0];
  o.status = order_status::filled;
  o.filled_quantity = o.quantity;
  o.exchange_order_id = "NSE-99";
  o.updated_at += 5;
  second.orders = {o};
  transfer t = first.transfers[0];
  t.status = transfer_status::failed;
  t.failure_reason = "timeout";
  second.transfers = {t};
  st.commit(second);

  check_same(st.load(), second);

  SECTION("within one batch the later row of a key wins") {
    write_batch twice;
    order v1 = o;
    v1.status = order_status::open;
    order v2 = o;
    v2.status = order_status::cancelled;
    twice.orders = {v1, v2};
    st.commit(twice);
    check_same(st.load().orders, {v2});
  }
}

TEST_CASE("sqlite_store: a replayed exec_id or idempotency entry is ignored", "[sqlite_store]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  const order_id oid = make_order_id(5, 1);
  write_batch first;
  first.executions = {make_execution("X1", oid, exec_kind::accepted)};
  first.idempotency = {make_idem(5, "k", "digest-1", oid)};
  st.commit(first);

  // The same keys again with different contents, across and within a batch.
  write_batch replay;
  execution_row dup = make_execution("X1", oid, exec_kind::trade);
  dup.report.cum_quantity = 999;
  execution_row fresh = make_execution("X2", oid, exec_kind::trade);
  replay.executions = {dup, fresh, dup};
  // Idempotency entries are keyed by their order (an account never gives one
  // key to two orders): a second entry for the same order changes nothing.
  replay.idempotency = {make_idem(5, "k", "digest-2", oid), make_idem(6, "k", "digest-3", 7),
                        make_idem(6, "k", "digest-4", 7)};
  st.commit(replay);

  store_snapshot s = st.load();
  check_same(s.executions, {first.executions[0], fresh});
  check_same(s.idempotency, {first.idempotency[0], make_idem(6, "k", "digest-3", 7)});
  check_same(st.executions_of(oid), {first.executions[0], fresh});
}

TEST_CASE("sqlite_store: a failing batch leaves nothing and the store keeps working",
          "[sqlite_store]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  write_batch base;
  base.users = {make_user(1, kyc_status::verified)};
  st.commit(base);

  SECTION("a duplicate email after a valid user row") {
    write_batch bad = full_batch();
    user_profile clash = make_user(2, kyc_status::pending);
    clash.email = base.users[0].email;
    bad.users.push_back(clash);
    try {
      st.commit(bad);
      FAIL("commit should have thrown");
    } catch (const store_error& e) {
      CHECK(std::string(e.what()).find("UNIQUE constraint failed: users.email")
            != std::string::npos);
    }
    check_same(st.load(), base);
  }

  SECTION("a failure in the last table written, after rows in every other table") {
    // A trigger injects the failure at the very end of the transaction.
    {
      SQLite::Database side(dir.file(), SQLite::OPEN_READWRITE);
      side.exec("CREATE TRIGGER boom BEFORE INSERT ON idempotency"
                " WHEN NEW.idempotency_key = 'boom'"
                " BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    }
    write_batch bad = full_batch();
    bad.idempotency.push_back(make_idem(99, "boom", "d", 0));
    REQUIRE_THROWS_WITH(st.commit(bad), Catch::Contains("injected failure"));
    check_same(st.load(), base);
    CHECK(st.executions_of(make_order_id(10, 1)).empty());
  }

  // The next commit goes through, on the same instance.
  write_batch next = full_batch();
  st.commit(next);
  next.users.insert(next.users.begin(), base.users[0]);
  check_same(st.load(), next);
}

TEST_CASE("sqlite_store: committed data survives reopening the file", "[sqlite_store]") {
  const bool full = GENERATE(true, false);
  INFO("synchronous_full = " << full);
  temp_dir dir;
  const write_batch batch = full_batch();
  {
    sqlite_store st(dir.file(), {full, 1000});
    st.commit(batch);
  }
  sqlite_store reopened(dir.file(), {full, 1000});
  check_same(reopened.load(), batch);
  check_same(reopened.executions_of(make_order_id(10, 2)),
             {batch.executions[1], batch.executions[3]});
}

TEST_CASE("sqlite_store: migrations are recorded once and checked on open", "[sqlite_store]") {
  temp_dir dir;
  { sqlite_store st(dir.file(), {}); }

  const std::vector<migration_record> first = recorded_migrations(dir.file());
  const std::vector<migration>& all = all_migrations();
  REQUIRE(first.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(first[i].version == all[i].version);
    CHECK(first[i].name == all[i].name);
    CHECK(first[i].applied_at.size() == 24); // 2024-01-31T12:34:56.789Z
  }

  {
    SQLite::Database db(dir.file(), SQLite::OPEN_READONLY);
    CHECK(db.execAndGet("PRAGMA journal_mode").getString() == "wal"); // persistent
    for (const char* table : {"users", "accounts", "holdings", "orders", "executions",
                              "transfers", "idempotency"})
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

  SECTION("a second open applies nothing") {
    { sqlite_store st(dir.file(), {}); }
    const std::vector<migration_record> second = recorded_migrations(dir.file());
    REQUIRE(second.size() == first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      CHECK(second[i].version == first[i].version);
      CHECK(second[i].applied_at == first[i].applied_at);
    }
  }

  SECTION("a file migrated by a newer build is refused") {
    {
      SQLite::Database db(dir.file(), SQLite::OPEN_READWRITE);
      db.exec("INSERT INTO schema_migrations VALUES (9999, 'from the future', 'x')");
    }
    REQUIRE_THROWS_WITH(sqlite_store(dir.file(), {}), Catch::Contains("9999"));
  }
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

TEST_CASE("sqlite_store: an unparseable stored enum is an error, not a guess", "[sqlite_store]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  const write_batch batch = full_batch();
  st.commit(batch);
  SQLite::Database side(dir.file(), SQLite::OPEN_READWRITE);

  side.exec("UPDATE orders SET status = 'LOST' WHERE id = " + std::to_string(make_order_id(10, 3)));
  REQUIRE_THROWS_WITH(st.load(), Catch::Contains("LOST") && Catch::Contains("orders.status"));

  side.exec("UPDATE orders SET status = 'OPEN'");
  side.exec("UPDATE executions SET kind = 'trade' WHERE exec_id = 'E-50'"); // wrong case
  REQUIRE_THROWS_AS(st.executions_of(make_order_id(10, 1)), store_error);
  REQUIRE_THROWS_AS(st.load(), store_error);

  // Repaired, the same instance reads again.
  side.exec("UPDATE executions SET kind = 'TRADE' WHERE exec_id = 'E-50'");
  CHECK(st.load().orders.size() == batch.orders.size());
  CHECK(st.executions_of(make_order_id(10, 1)).size() == 3);
}

TEST_CASE("sqlite_store: a file that can't be opened or can't use WAL is refused",
          "[sqlite_store]") {
  CHECK_THROWS_AS(sqlite_store(":memory:", {}), store_error);
  CHECK_THROWS_AS(sqlite_store("/nonexistent-dir/x/broker.db", {}), store_error);
}

TEST_CASE("sqlite_store: concurrent readers never see half a batch", "[sqlite_store][threads]") {
  temp_dir dir;
  sqlite_store st(dir.file(), {});
  constexpr int batches = 200;
  constexpr user_id owner = 7;

  std::atomic<bool> writing_done{false};
  std::atomic<int> loads{0};
  std::atomic<int> torn{0};
  std::mutex failure_mutex;
  std::vector<std::string> failures;
  auto record_failure = [&](const std::string& what) {
    std::lock_guard<std::mutex> lock(failure_mutex);
    failures.push_back(what);
  };

  // Batch k writes order k, its execution, and the account row whose counters
  // say k: a reader seeing any two of them disagree saw half a batch.
  auto agree = [&](const store_snapshot& s) {
    const int64_t n = static_cast<int64_t>(s.orders.size());
    if (n == 0)
      return s.accounts.empty() && s.executions.empty();
    return s.accounts.size() == 1 && s.accounts[0].next_transfer_id == n + 1
&& s.accounts[0].cash == n && s.executions.size() == s.orders.size()
           && s.orders.back().id == make_order_id(owner, n);
  };

  std::thread loader([&] {
    try {
      do {
        if (!agree(st.load()))
          ++torn;
        ++loads;
      } while (!writing_done);
    } catch (const std::exception& e) {
      record_failure(std::string("load: ") + e.what());
    }
  });
  std::thread detail_reader([&] {
    try {
      int64_t seq = 0;
      do {
        seq = seq % batches + 1;
        if (st.executions_of(make_order_id(owner, seq)).size() > 1)
          ++torn;
      } while (!writing_done);
    } catch (const std::exception& e) {
      record_failure(std::string("executions_of: ") + e.what());
    }
  });
  std::thread writer([&] {
    try {
      for (int64_t k = 1; k <= batches; ++k) {
        write_batch b;
        b.orders = {make_order(owner, k)};
        b.executions = {make_execution("T-" + std::to_string(k), make_order_id(owner, k),
                                       exec_kind::trade)};
        account_row a;
        a.user = owner;
        a.cash = k;
        a.next_transfer_id = k + 1;
        b.accounts = {a};
        st.commit(b);
      }
    } catch (const std::exception& e) {
      record_failure(std::string("commit: ") + e.what());
    }
    writing_done = true;
  });
  writer.join();
  loader.join();
  detail_reader.join();

  for (const std::string& f : failures)
    FAIL_CHECK(f);
  CHECK(torn == 0);
  CHECK(loads > 0);
  const store_snapshot last = st.load();
  CHECK(last.orders.size() == static_cast<size_t>(batches));
  CHECK(agree(last));
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
}
