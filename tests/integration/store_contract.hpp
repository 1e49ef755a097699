#pragma once
// The store contract: what every backend of broker::store must do, written
// once and run against each backend (test_sqlite_store.cpp,
// test_postgres_store.cpp) through a `backend`, which opens stores on one
// fresh database and reaches that database behind the store's back.
//
// Round trips of every row type, upsert and insert-once rules, all-or-nothing
// batches, retries, durability across instances, migrations (and migration
// 6's opening balances), unparseable enums, reads racing commits, candles,
// the journal, settlements, notifications, watchlists, users blocked from
// trading (migration 9), and the operator console's rows: operators, the
// audit log, trading halts.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "storage/migrations.hpp"
#include "storage/store.hpp"

namespace store_contract {

using namespace broker;

// ---- The backend under test -------------------------------------------------

struct migration_record {
  int version;
  std::string name;
  std::string applied_at;
};

struct backend {
  // Opens a store on this backend's database (again: a reopen).
  std::function<std::unique_ptr<store>()> open;
  // Runs SQL (same text in both dialects) on the database, outside any store.
  std::function<void(const std::string& sql)> exec;
  // schema_migrations, by version.
  std::function<std::vector<migration_record>()> recorded_migrations;
  // On: inserting an idempotency row whose key is 'boom' fails with "injected
  // failure" (a trigger). Off: it works again.
  std::function<void(bool on)> fail_on_boom_key;
  // On the fresh database, before any open: the schema as a build that knew
  // only migrations 1..version left it (schema_migrations records them).
  std::function<void(int version)> create_at_version;
};

// ---- Sample rows: every field set to something other than its default -------

// Fixture order ids that say whose they are, so a test reads well. (Real ids
// are node-wide and carry no owner; the store does not care either way.)
constexpr order_id make_order_id(user_id user, int64_t seq) { return user * 1000 + seq; }
constexpr user_id owner_of(order_id id) { return id / 1000; }

constexpr int64_t i64_max = std::numeric_limits<int64_t>::max();
constexpr int64_t i64_min = std::numeric_limits<int64_t>::min();

inline user_profile make_user(user_id id, kyc_status kyc) {
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
  u.trading_blocked = id % 2 == 1; // both values in full_batch(): 11 and 13 are blocked
  u.created_at = 1'700'000'000'123'456'789 + id;
  return u;
}

inline account_row make_account(user_id user) {
  account_row a;
  a.user = user;
  a.cash = -987'654'321'012; // an overdraft must round-trip even if the books forbid it
  a.next_transfer_id = 7;
  return a;
}

inline holding_row make_holding(user_id user, const std::string& symbol) {
  holding_row h;
  h.user = user;
  h.position.symbol = symbol;
  h.position.quantity = 300;
  h.position.held_quantity = 120;
  h.position.cost_basis = i64_max; // full 64-bit range
  return h;
}

inline order make_order(user_id user, int64_t seq) {
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
  // What SQL or array-literal quoting must keep: quotes, backslashes, braces,
  // commas, and a word a sloppy encoder would read as NULL.
  o.reject_message = "outside band \"[2200, 2700]\" {x,y} 'q' \\ \\\\N NULL";
  o.idempotency_key = "idem-\xE2\x82\xB9-" + std::to_string(seq); // rupee sign
  o.created_at = 1'700'000'000'000'000'000 + seq;
  o.updated_at = 1'700'000'001'000'000'000 + seq;
  o.held_unsettled = 400'000 + seq;
  o.unsettled_due = 20'480 + seq;
  o.fees = 3'771 + seq;
  return o;
}

inline execution_row make_execution(const std::string& exec_id, order_id oid, exec_kind kind) {
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
  e.fees = fee_breakdown{735, 2450, 72, 2, 367, 145};
  return e;
}

inline transfer make_transfer(user_id user, int64_t id, transfer_kind kind,
                              transfer_status status) {
  transfer t;
  t.id = id;
  t.user = user;
  t.kind = kind;
  t.amount = 5'000'000 + id;
  t.status = status;
  t.gateway_reference = id == 1 ? "NULL" : "pay_" + std::to_string(id); // a word, not a null
  t.failure_reason = status == transfer_status::failed ? "bank declined" : "";
  t.created_at = 1'690'000'000'000'000'000 + id;
  t.updated_at = 1'690'000'005'000'000'000 + id;
  return t;
}

inline idempotency_entry make_idem(user_id user, const std::string& key,
                                   const std::string& digest, order_id oid) {
  idempotency_entry i;
  i.user = user;
  i.key = key;
  i.request_digest = digest;
  i.order = oid;
  return i;
}

inline candle make_candle(const std::string& symbol, timestamp start) {
  candle c;
  c.symbol = symbol;
  c.start = start;
  c.open = 245'000;
  c.high = 246'550;
  c.low = 244'005;
  c.close = 245'975;
  c.volume = 1'234'567'890'123;
  return c;
}

inline price_alert make_alert(user_id user, int64_t id, alert_condition condition,
                              alert_status status) {
  price_alert a;
  a.id = id;
  a.user = user;
  a.symbol = "HDFCBANK";
  a.condition = condition;
  a.price = 160'050 + id;
  a.status = status;
  a.triggered_price = status == alert_status::triggered ? 160'100 : 0;
  a.created_at = 1'710'000'000'000'000'000 + id;
  a.updated_at = 1'710'000'009'000'000'000 + id;
  return a;
}

inline operator_account make_operator(const std::string& name, bool disabled) {
  operator_account a;
  a.name = name;
  a.password_hash = "$argon2id$v=19$m=262144,t=3,p=1$" + name + "$aGFzaA";
  a.created_at = 1'720'000'000'000'000'000 + static_cast<int64_t>(name.size());
  a.disabled = disabled;
  return a;
}

// Entry k of a log; its id is the store's to give, so left for the caller.
inline audit_entry make_audit(int k) {
  audit_entry e;
  e.at = 1'730'000'000'000'000'000 + k;
  e.operator_name = k % 3 == 0 ? "" : "ops-" + std::to_string(k % 3); // "": a failed login
  e.remote_address = "203.0.113." + std::to_string(k) + ":5" + std::to_string(k);
  e.action = k % 2 ? "POST /admin/v1/halts" : "login";
  e.target = k % 2 ? "symbol:M&M" : "";
  e.detail = "reason \"circuit\" {x,y} 'q' \\ NULL \xE2\x82\xB9 #" + std::to_string(k);
  e.status = k % 3 == 0 ? 401 : 200 + k;
  return e;
}

inline stored_halt make_halt(const std::string& symbol, timestamp since) {
  stored_halt h;
  h.symbol = symbol;
  h.reason = "news pending \"" + symbol + "\" \xE2\x9C\x8B";
  h.since = since;
  h.operator_name = "ops-" + std::to_string(since % 7);
  return h;
}

// ---- Field-by-field comparison (the domain structs have no operator==) -------

inline void check_same(const user_profile& a, const user_profile& b) {
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
  CHECK(a.trading_blocked == b.trading_blocked);
  CHECK(a.created_at == b.created_at);
}

inline void check_same(const account_row& a, const account_row& b) {
  CHECK(a.user == b.user);
  CHECK(a.cash == b.cash);
  CHECK(a.next_transfer_id == b.next_transfer_id);
}

inline void check_same(const holding_row& a, const holding_row& b) {
  CHECK(a.user == b.user);
  CHECK(a.position.symbol == b.position.symbol);
  CHECK(a.position.quantity == b.position.quantity);
  CHECK(a.position.held_quantity == b.position.held_quantity);
  CHECK(a.position.cost_basis == b.position.cost_basis);
}

inline void check_same(const order& a, const order& b) {
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
  CHECK(a.held_unsettled == b.held_unsettled);
  CHECK(a.unsettled_due == b.unsettled_due);
  CHECK(a.fees == b.fees);
}

inline void check_same(const execution_row& a, const execution_row& b) {
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
  CHECK(a.fees == b.fees);
}

inline void check_same(const transfer& a, const transfer& b) {
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

inline void check_same(const idempotency_entry& a, const idempotency_entry& b) {
  CHECK(a.user == b.user);
  CHECK(a.key == b.key);
  CHECK(a.request_digest == b.request_digest);
  CHECK(a.order == b.order);
}

inline void check_same(const candle& a, const candle& b) {
  CHECK(a.symbol == b.symbol);
  CHECK(a.start == b.start);
  CHECK(a.open == b.open);
  CHECK(a.high == b.high);
  CHECK(a.low == b.low);
  CHECK(a.close == b.close);
  CHECK(a.volume == b.volume);
}

inline void check_same(const price_alert& a, const price_alert& b) {
  CHECK(a.id == b.id);
  CHECK(a.user == b.user);
  CHECK(a.symbol == b.symbol);
  CHECK(a.condition == b.condition);
  CHECK(a.price == b.price);
  CHECK(a.status == b.status);
  CHECK(a.triggered_price == b.triggered_price);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

inline void check_same(const operator_account& a, const operator_account& b) {
  CHECK(a.name == b.name);
  CHECK(a.password_hash == b.password_hash);
  CHECK(a.created_at == b.created_at);
  CHECK(a.disabled == b.disabled);
}

inline void check_same(const audit_entry& a, const audit_entry& b) {
  CHECK(a.id == b.id);
  CHECK(a.at == b.at);
  CHECK(a.operator_name == b.operator_name);
  CHECK(a.remote_address == b.remote_address);
  CHECK(a.action == b.action);
  CHECK(a.target == b.target);
  CHECK(a.detail == b.detail);
  CHECK(a.status == b.status);
}

inline void check_same(const stored_halt& a, const stored_halt& b) {
  CHECK(a.symbol == b.symbol);
  CHECK(a.reason == b.reason);
  CHECK(a.since == b.since);
  CHECK(a.operator_name == b.operator_name);
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
// transfers by (user, id), idempotency by (user, key), alerts by (user, id).
// Candles are not part of load(); see check_candles.
inline void check_same(const store_snapshot& got, const write_batch& want) {
  check_same(got.users, want.users);
  check_same(got.accounts, want.accounts);
  check_same(got.holdings, want.holdings);
  check_same(got.orders, want.orders);
  check_same(got.executions, want.executions);
  check_same(got.transfers, want.transfers);
  check_same(got.idempotency, want.idempotency);
  check_same(got.alerts, want.alerts);
}

// Every stored candle; `want` by symbol then start.
inline void check_candles(store& st, const std::vector<candle>& want) {
  check_same(st.candles_since(i64_min), want);
}

// Rows of every table, every enum value at least once, already in load() order.
inline write_batch full_batch() {
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
  // Byte order: upper case before lower case, '&' before letters.
  b.candles = {make_candle("M&M", -ns_per_minute), make_candle("M&M", 0),
               make_candle("TCS", 5 * ns_per_minute), make_candle("bse", 0)};
  for (int k = 0; k < 2; ++k)
    for (int s = 0; s < 3; ++s)
      b.alerts.push_back(make_alert(10 + k, 1 + s, static_cast<alert_condition>(k),
                                    static_cast<alert_status>(s)));
  return b;
}

// ---- The contract -------------------------------------------------------------

inline void every_row_type_round_trips(const backend& b) {
  std::unique_ptr<store> st = b.open();
  CHECK(st->load().orders.empty());
  CHECK(st->candles_since(i64_min).empty());

  const write_batch batch = full_batch();
  st->commit(batch);
  check_same(st->load(), batch);
  check_candles(*st, batch.candles);

  SECTION("executions_of returns one order's executions in insertion order") {
    // Order 1 got E-30, E-50, E-40; order 2 got E-10, E-20.
    std::vector<execution_row> one = st->executions_of(make_order_id(10, 1));
    check_same(one, {batch.executions[0], batch.executions[2], batch.executions[4]});
    std::vector<execution_row> two = st->executions_of(make_order_id(10, 2));
    check_same(two, {batch.executions[1], batch.executions[3]});
    CHECK(st->executions_of(make_order_id(10, 3)).empty());
  }

  SECTION("load_user reads one user's rows, in load() order") {
    for (user_id u : {10, 11, 99}) {
      INFO("user " << u);
      write_batch mine;
      auto keep = [&](const auto& from, auto& to, auto owner) {
        for (auto& row : from)
          if (owner(row) == u)
            to.push_back(row);
      };
      keep(batch.users, mine.users, [](const user_profile& x) { return x.id; });
      keep(batch.accounts, mine.accounts, [](const account_row& x) { return x.user; });
      keep(batch.holdings, mine.holdings, [](const holding_row& x) { return x.user; });
      keep(batch.orders, mine.orders, [](const order& x) { return x.user; });
      keep(batch.executions, mine.executions, [](const execution_row& x) { return x.user; });
      keep(batch.transfers, mine.transfers, [](const transfer& x) { return x.user; });
      keep(batch.idempotency, mine.idempotency, [](const idempotency_entry& x) { return x.user; });
      keep(batch.alerts, mine.alerts, [](const price_alert& x) { return x.user; });
      check_same(st->load_user(u), mine);
    }
  }

  SECTION("active_alerts_of reads one symbol's active alerts") {
    write_batch other; // another symbol's active alert stays out
    other.alerts = {make_alert(12, 7, alert_condition::above, alert_status::active)};
    other.alerts[0].symbol = "TCS";
    st->commit(other);
    std::vector<price_alert> active;
    for (auto& a : batch.alerts)
      if (a.status == alert_status::active)
        active.push_back(a);
    REQUIRE(active.size() == 2);
    check_same(st->active_alerts_of("HDFCBANK"), active);
    check_same(st->active_alerts_of("TCS"), other.alerts);
    CHECK(st->active_alerts_of("INFY").empty());
  }

  SECTION("an empty batch is a no-op") {
    st->commit(write_batch{});
    check_same(st->load(), batch);
  }

  SECTION("insertion order holds across batches") {
    write_batch later;
    later.executions = {make_execution("A-later", make_order_id(10, 1), exec_kind::trade)};
    st->commit(later);
    check_same(st->executions_of(make_order_id(10, 1)),
               {batch.executions[0], batch.executions[2], batch.executions[4],
                later.executions[0]});
  }
}

inline void upserts_keep_the_latest_state(const backend& b) {
  std::unique_ptr<store> st = b.open();
  write_batch first;
  first.users = {make_user(1, kyc_status::pending)};
  first.accounts = {make_account(1)};
  first.holdings = {make_holding(1, "INFY")};
  first.orders = {make_order(1, 1)};
  first.transfers = {make_transfer(1, 1, transfer_kind::withdrawal, transfer_status::pending)};
  first.candles = {make_candle("INFY", 0)};
  first.alerts = {make_alert(1, 1, alert_condition::above, alert_status::active)};
  st->commit(first);

  write_batch second;
  user_profile u = first.users[0];
  u.email = "renamed@example.in";
  u.kyc = kyc_status::verified;
  u.name = "Ananya R.";
  REQUIRE(u.trading_blocked); // make_user(1, ...)
  u.trading_blocked = false;
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
  candle c = first.candles[0];
  c.high += 100;
  c.close += 50;
  c.volume += 7;
  second.candles = {c};
  price_alert al = first.alerts[0];
  al.status = alert_status::triggered;
  al.triggered_price = 170'000;
  al.updated_at += 9;
  second.alerts = {al};
  st->commit(second);

  check_same(st->load(), second);
  check_candles(*st, second.candles);

  SECTION("within one batch the later row of a key wins, in every upsert table") {
    write_batch twice;
    user_profile u1 = u, u2 = u;
    u1.name = "first";
    u2.name = "second";
    twice.users = {u1, u2};
    account_row a1 = a, a2 = a;
    a1.cash = 10;
    a2.cash = 20;
    twice.accounts = {a1, a2};
    holding_row h1 = h, h2 = h;
    h1.position.quantity = 5;
    h2.position.quantity = 6;
    twice.holdings = {h1, h2};
    order v1 = o, v2 = o;
    v1.status = order_status::open;
    v2.status = order_status::cancelled;
    twice.orders = {v1, v2};
    transfer t1 = t, t2 = t;
    t1.status = transfer_status::pending;
    t2.status = transfer_status::completed;
    twice.transfers = {t1, t2};
    candle c1 = c, c2 = c;
    c1.volume = 1;
    c2.volume = 2;
    twice.candles = {c1, c2};
    price_alert al1 = al, al2 = al;
    al1.status = alert_status::active;
    al2.status = alert_status::cancelled;
    twice.alerts = {al1, al2};
    st->commit(twice);

    write_batch want;
    want.users = {u2};
    want.accounts = {a2};
    want.holdings = {h2};
    want.orders = {v2};
    want.transfers = {t2};
    want.alerts = {al2};
    check_same(st->load(), want);
    check_candles(*st, {c2});
  }
}

inline void replayed_exec_id_or_idempotency_entry_is_ignored(const backend& b) {
  std::unique_ptr<store> st = b.open();
  const order_id oid = make_order_id(5, 1);
  write_batch first;
  first.executions = {make_execution("X1", oid, exec_kind::accepted)};
  first.idempotency = {make_idem(5, "k", "digest-1", oid)};
  st->commit(first);

  // The same keys again with different contents, across and within a batch.
  write_batch replay;
  execution_row dup = make_execution("X1", oid, exec_kind::trade);
  dup.report.cum_quantity = 999;
  execution_row fresh = make_execution("X2", oid, exec_kind::trade);
  execution_row fresh_dup = fresh;
  fresh_dup.report.cum_quantity = 998;
  replay.executions = {dup, fresh, dup, fresh_dup};
  // Idempotency entries are keyed by their order (an account never gives one
  // key to two orders): a second entry for the same order changes nothing.
  replay.idempotency = {make_idem(5, "k", "digest-2", oid), make_idem(6, "k", "digest-3", 7),
                        make_idem(6, "k", "digest-4", 7)};
  st->commit(replay);

  store_snapshot s = st->load();
  check_same(s.executions, {first.executions[0], fresh});
  check_same(s.idempotency, {first.idempotency[0], make_idem(6, "k", "digest-3", 7)});
  check_same(st->executions_of(oid), {first.executions[0], fresh});
}

inline void failing_batch_leaves_nothing(const backend& b) {
  std::unique_ptr<store> st = b.open();
  write_batch base;
  base.users = {make_user(1, kyc_status::verified)};
  st->commit(base);

  SECTION("a duplicate email after a valid user row") {
    write_batch bad = full_batch();
    user_profile clash = make_user(2, kyc_status::pending);
    clash.email = base.users[0].email;
    bad.users.push_back(clash);
    // Both backends name the column in their message.
    REQUIRE_THROWS_WITH(st->commit(bad), Catch::Contains("email"));
    check_same(st->load(), base);
    check_candles(*st, {});
  }

  SECTION("a failure in the last table written, after rows in every other table") {
    b.fail_on_boom_key(true);
    write_batch bad = full_batch();
    bad.idempotency.push_back(make_idem(99, "boom", "d", 99001));
    REQUIRE_THROWS_WITH(st->commit(bad), Catch::Contains("injected failure"));
    check_same(st->load(), base);
    CHECK(st->executions_of(make_order_id(10, 1)).empty());
    check_candles(*st, {});
    b.fail_on_boom_key(false);
  }

  // The next commit goes through, on the same instance.
  write_batch next = full_batch();
  st->commit(next);
  next.users.insert(next.users.begin(), base.users[0]);
  check_same(st->load(), next);
  check_candles(*st, next.candles);
}

// The persistence actor retries a batch that failed; a commit whose answer
// was lost (connection dropped during COMMIT) may have been applied. Either
// way the retry must leave every row once.
inline void retried_batch_stores_every_row_once(const backend& b) {
  std::unique_ptr<store> st = b.open();
  write_batch batch = full_batch();
  batch.idempotency.push_back(make_idem(99, "boom", "d", 99001));

  b.fail_on_boom_key(true);
  REQUIRE_THROWS_AS(st->commit(batch), store_error);
  b.fail_on_boom_key(false);
  st->commit(batch); // the retry, on the same instance
  st->commit(batch); // applied twice: as if the first success had not been seen

  write_batch want = batch; // idempotency in load order: (10, a), (10, b), (11, a), (99, boom)
  check_same(st->load(), want);
  check_candles(*st, want.candles);
  check_same(st->executions_of(make_order_id(10, 1)),
             {batch.executions[0], batch.executions[2], batch.executions[4]});
}

inline void committed_data_survives_reopening(const backend& b) {
  const write_batch batch = full_batch();
  {
    std::unique_ptr<store> st = b.open();
    st->commit(batch);
  }
  std::unique_ptr<store> reopened = b.open();
  check_same(reopened->load(), batch);
  check_candles(*reopened, batch.candles);
  check_same(reopened->executions_of(make_order_id(10, 2)),
             {batch.executions[1], batch.executions[3]});
}

inline void migrations_are_recorded_once_and_checked_on_open(const backend& b) {
  { std::unique_ptr<store> st = b.open(); }

  const std::vector<migration_record> first = b.recorded_migrations();
  const std::vector<migration>& all = all_migrations();
  REQUIRE(first.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK(first[i].version == all[i].version);
    CHECK(first[i].name == all[i].name);
    CHECK(first[i].applied_at.size() == 24); // 2024-01-31T12:34:56.789Z
    CHECK(first[i].applied_at.substr(10, 1) == "T");
    CHECK(first[i].applied_at.back() == 'Z');
  }

  SECTION("a second open applies nothing") {
    { std::unique_ptr<store> st = b.open(); }
    const std::vector<migration_record> second = b.recorded_migrations();
    REQUIRE(second.size() == first.size());
    for (size_t i = 0; i < first.size(); ++i) {
      CHECK(second[i].version == first[i].version);
      CHECK(second[i].applied_at == first[i].applied_at);
    }
  }

  SECTION("a database migrated by a newer build is refused") {
    b.exec("INSERT INTO schema_migrations VALUES (9999, 'from the future', 'x')");
    REQUIRE_THROWS_WITH(b.open(), Catch::Contains("9999"));
  }
}

inline void unparseable_stored_enum_is_an_error(const backend& b) {
  std::unique_ptr<store> st = b.open();
  const write_batch batch = full_batch();
  st->commit(batch);

  b.exec("UPDATE orders SET status = 'LOST' WHERE id = " + std::to_string(make_order_id(10, 3)));
  REQUIRE_THROWS_WITH(st->load(), Catch::Contains("LOST") && Catch::Contains("orders.status"));

  b.exec("UPDATE orders SET status = 'OPEN'");
  b.exec("UPDATE executions SET kind = 'trade' WHERE exec_id = 'E-50'"); // wrong case
  REQUIRE_THROWS_AS(st->executions_of(make_order_id(10, 1)), store_error);
  REQUIRE_THROWS_AS(st->load(), store_error);

  b.exec("UPDATE executions SET kind = 'TRADE' WHERE exec_id = 'E-50'");
  b.exec("UPDATE alerts SET condition = 'SIDEWAYS' WHERE id = 2");
  REQUIRE_THROWS_WITH(st->load(), Catch::Contains("alerts.condition"));

  // Repaired, the same instance reads again.
  b.exec("UPDATE alerts SET condition = 'ABOVE'");
  CHECK(st->load().orders.size() == batch.orders.size());
  CHECK(st->executions_of(make_order_id(10, 1)).size() == 3);
}

inline void concurrent_readers_never_see_half_a_batch(const backend& b) {
  std::unique_ptr<store> st_owner = b.open();
  store& st = *st_owner;
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
        if (st.candles_since(i64_min).size() > 1)
          ++torn;
      } while (!writing_done);
    } catch (const std::exception& e) {
      record_failure(std::string("executions_of: ") + e.what());
    }
  });
  std::thread writer([&] {
    try {
      for (int64_t k = 1; k <= batches; ++k) {
        write_batch batch;
        batch.orders = {make_order(owner, k)};
        batch.executions = {make_execution("T-" + std::to_string(k), make_order_id(owner, k),
                                           exec_kind::trade)};
        account_row a;
        a.user = owner;
        a.cash = k;
        a.next_transfer_id = k + 1;
        batch.accounts = {a};
        batch.candles = {make_candle("TCS", 0)};
        st.commit(batch);
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

inline void candles_since_returns_candles_from_a_start(const backend& b) {
  std::unique_ptr<store> st = b.open();
  const timestamp m = ns_per_minute;
  write_batch batch;
  // Written out of order, across two batches.
  batch.candles = {make_candle("TCS", 3 * m), make_candle("INFY", 1 * m),
                   make_candle("TCS", 1 * m), make_candle("INFY", 2 * m)};
  st->commit(batch);
  write_batch more;
  more.candles = {make_candle("INFY", 0), make_candle("TCS", 2 * m)};
  st->commit(more);

  check_same(st->candles_since(2 * m),
             {make_candle("INFY", 2 * m), make_candle("TCS", 2 * m), make_candle("TCS", 3 * m)});
  check_same(st->candles_since(1 * m),
             {make_candle("INFY", 1 * m), make_candle("INFY", 2 * m), make_candle("TCS", 1 * m),
              make_candle("TCS", 2 * m), make_candle("TCS", 3 * m)});
  CHECK(st->candles_since(3 * m + 1).empty());
  CHECK(st->candles_since(i64_min).size() == 6);
}

inline void candles_of_returns_one_symbols_range(const backend& b) {
  std::unique_ptr<store> st = b.open();
  const timestamp m = ns_per_minute;
  write_batch batch;
  batch.candles = {make_candle("TCS", 3 * m), make_candle("INFY", 1 * m),
                   make_candle("TCS", 1 * m), make_candle("INFY", 2 * m),
                   make_candle("TCS", -m),    make_candle("TCS", 2 * m)};
  st->commit(batch);

  // [from, to): the candle starting at `to` is not in it.
  check_same(st->candles_of("TCS", 1 * m, 3 * m), {make_candle("TCS", 1 * m),
                                                   make_candle("TCS", 2 * m)});
  check_same(st->candles_of("TCS", i64_min, i64_max),
             {make_candle("TCS", -m), make_candle("TCS", 1 * m), make_candle("TCS", 2 * m),
              make_candle("TCS", 3 * m)});
  check_same(st->candles_of("INFY", 2 * m, 2 * m + 1), {make_candle("INFY", 2 * m)});
  CHECK(st->candles_of("TCS", 4 * m, 10 * m).empty());
  CHECK(st->candles_of("TCS", 2 * m, 2 * m).empty());
  CHECK(st->candles_of("TC", i64_min, i64_max).empty()); // the symbol, not a prefix
  CHECK(st->candles_of("tcs", i64_min, i64_max).empty()); // case matters
}

// ---- The journal, settlements, notifications, watchlists -----------------------

inline journal_entry make_entry(int64_t id, user_id user, timestamp at, journal_kind kind,
                                std::initializer_list<std::pair<ledger_account, money>> legs) {
  journal_entry e;
  e.id = id;
  e.user = user;
  e.at = at;
  e.kind = kind;
  e.reference = "order:" + std::to_string(id) + " \"q\" {x}";
  for (auto& [a, m] : legs)
    e[a] += m;
  return e;
}

inline void check_same(const journal_entry& a, const journal_entry& b) {
  CHECK(a.id == b.id);
  CHECK(a.user == b.user);
  CHECK(a.at == b.at);
  CHECK(a.kind == b.kind);
  CHECK(a.reference == b.reference);
  CHECK(a.amounts == b.amounts);
}

inline void journal_round_trips_and_refuses_an_unbalanced_entry(const backend& b) {
  std::unique_ptr<store> st = b.open();
  using la = ledger_account;
  write_batch batch;
  batch.journal = {
    make_entry(1, 1, 100, journal_kind::deposit, {{la::bank, -1'000'000}, {la::user_cash, 1'000'000}}),
    make_entry(2, 1, 200, journal_kind::order_hold, {{la::user_cash, -245'377}, {la::user_held, 245'377}}),
    make_entry(3, 2, 150, journal_kind::deposit, {{la::bank, i64_min / 4}, {la::user_cash, -(i64_min / 4)}}),
    make_entry(4, 1, 300, journal_kind::buy_fill,
               {{la::user_held, -243'757}, {la::house_settlement, 240'000}, {la::house_fees, 732},
                {la::statutory_charges, 3'025}}),
    make_entry(5, 1, 400, journal_kind::sell_fill,
               {{la::house_settlement, -100'000}, {la::user_unsettled, 99'000},
                {la::house_fees, 300}, {la::statutory_charges, 700}}),
  };
  batch.settlements = {settlement_row{1, 20'500, 99'000}, settlement_row{1, 20'499, 0}};
  st->commit(batch);

  auto snap = st->load();
  REQUIRE(snap.journal.size() == batch.journal.size()); // whole, by id
  for (size_t i = 0; i < snap.journal.size(); ++i)
    check_same(snap.journal[i], batch.journal[i]);
  REQUIRE(snap.settlements.size() == 1);   // only what is still owed
  CHECK(snap.settlements[0].user == 1);
  CHECK(snap.settlements[0].due_day == 20'500);
  CHECK(snap.settlements[0].amount == 99'000);

  // An entry that does not balance is refused by the database, with the
  // whole batch: the account row beside it is not written either.
  write_batch bad;
  bad.accounts.push_back(make_account(9));
  bad.journal.push_back(make_entry(6, 1, 500, journal_kind::deposit, {{la::user_cash, 1}}));
  REQUIRE_THROWS_AS(st->commit(bad), store_error);
  auto after = st->load();
  CHECK(after.accounts.empty());
  CHECK(after.journal.size() == 5);

  // A batch committed again (a lost acknowledgement) does not double an entry.
  st->commit(batch);
  CHECK(st->load().journal.size() == 5);
  // A settlement row is upserted: amount 0 once settled, and then not loaded.
  write_batch settled;
  settled.settlements = {settlement_row{1, 20'500, 0}};
  st->commit(settled);
  CHECK(st->load().settlements.empty());

  // Insert-once: a second entry for an id (other contents) changes nothing,
  // within a batch or across batches, and the rest of its batch is written.
  write_batch again;
  journal_entry other = make_entry(2, 3, 999, journal_kind::withdrawal,
                                   {{la::user_cash, -5}, {la::bank, 5}});
  journal_entry fresh = make_entry(7, 2, 600, journal_kind::settlement,
                                   {{la::user_unsettled, -99'000}, {la::user_cash, 99'000}});
  journal_entry fresh_dup = fresh;
  fresh_dup.at = 601;
  again.journal = {other, fresh, fresh_dup};
  again.settlements = {settlement_row{2, 20'501, 7}, settlement_row{2, 20'501, 8}};
  st->commit(again);
  snap = st->load();
  REQUIRE(snap.journal.size() == 6);
  check_same(snap.journal[1], batch.journal[1]);
  check_same(snap.journal[5], fresh);
  REQUIRE(snap.settlements.size() == 1); // within a batch the later row of a key wins
  CHECK(snap.settlements[0].user == 2);
  CHECK(snap.settlements[0].amount == 8);
}

// A database that holds money when migration 6 runs gets one opening entry
// per account with money: held = the working orders' held_cash (PENDING,
// OPEN, PARTIALLY_FILLED, PENDING_CANCEL) + pending withdrawals; the rest of
// the cash is free; the bank holds minus the cash. Returns the first load.
inline store_snapshot migration_6_opens_the_journal_with_existing_money(const backend& b) {
  b.create_at_version(5);
  // User 7: cash 10,000.00; working buys hold 2,450.00 + 1.00 + 2.00 + 3.00,
  // a pending withdrawal 1,000.00; a final order, a completed withdrawal and
  // a pending deposit hold nothing. User 8: no money, no entry. User 9: cash
  // and nothing held. User 6: orders and a withdrawal but no account row.
  b.exec("INSERT INTO accounts (user_id, next_transfer_id, cash) VALUES"
         " (7, 4, 1000000), (8, 1, 0), (9, 1, 55500)");
  const std::string columns =
    "INSERT INTO orders (id, user_id, symbol, side, order_type, validity, quantity, price,"
    " trigger_price, status, filled_quantity, filled_value, held_cash, exchange_order_id,"
    " reject_code, reject_message, idempotency_key, created_at, updated_at) VALUES ";
  auto row = [](int id, int user, const std::string& status, int held) {
    return "(" + std::to_string(id) + ", " + std::to_string(user) + ", 'TCS', 'BUY', 'LIMIT',"
           " 'DAY', 1, 245000, 0, '" + status + "', 0, 0, " + std::to_string(held)
           + ", '', '', '', '', 1, 1)";
  };
  b.exec(columns + row(1, 7, "OPEN", 245000) + ", " + row(2, 7, "CANCELLED", 99) + ", "
         + row(3, 7, "PENDING", 100) + ", " + row(4, 7, "PARTIALLY_FILLED", 200) + ", "
         + row(5, 7, "PENDING_CANCEL", 300) + ", " + row(6, 7, "FILLED", 7) + ", "
         + row(7, 7, "REJECTED", 11) + ", " + row(8, 7, "EXPIRED", 13) + ", "
         + row(9, 6, "OPEN", 17));
  b.exec("INSERT INTO transfers VALUES (7, 1, 'WITHDRAWAL', 100000, 'PENDING', '', '', 1, 1),"
         " (7, 2, 'WITHDRAWAL', 5, 'COMPLETED', '', '', 1, 1),"
         " (7, 3, 'DEPOSIT', 50, 'PENDING', '', '', 1, 1),"
         " (6, 1, 'WITHDRAWAL', 19, 'PENDING', '', '', 1, 1)");

  std::unique_ptr<store> st = b.open();
  store_snapshot snap = st->load();
  REQUIRE(snap.journal.size() == 2);
  const money held = 245000 + 100 + 200 + 300 + 100000;
  const journal_entry& a = snap.journal[0];
  CHECK(a.id == 1);
  CHECK(a.user == 7);
  CHECK(a.at == 0);
  CHECK(a.kind == journal_kind::opening_balance);
  CHECK(a.reference.empty());
  CHECK(a[ledger_account::user_held] == held);
  CHECK(a[ledger_account::user_cash] == 1000000 - held);
  CHECK(a[ledger_account::bank] == -1000000);
  CHECK(a[ledger_account::user_unsettled] == 0);
  CHECK(a[ledger_account::house_settlement] == 0);
  CHECK(a[ledger_account::house_fees] == 0);
  CHECK(a[ledger_account::statutory_charges] == 0);
  const journal_entry& c = snap.journal[1];
  CHECK(c.id == 2);
  CHECK(c.user == 9);
  CHECK(c.kind == journal_kind::opening_balance);
  CHECK(c[ledger_account::user_cash] == 55500);
  CHECK(c[ledger_account::user_held] == 0);
  CHECK(c[ledger_account::bank] == -55500);
  CHECK(a.sum() == 0);
  CHECK(c.sum() == 0);
  // The new columns of the rows that were there read as zero.
  REQUIRE(snap.orders.size() == 9);
  for (const order& o : snap.orders) {
    CHECK(o.held_unsettled == 0);
    CHECK(o.unsettled_due == 0);
    CHECK(o.fees == 0);
  }
  CHECK(snap.settlements.empty());

  // Opened again, the migration does not run again.
  st.reset();
  st = b.open();
  CHECK(st->load().journal.size() == 2);
  return snap;
}

inline void notifications_round_trip_and_are_marked_read(const backend& b) {
  std::unique_ptr<store> st = b.open();
  write_batch batch;
  for (int64_t id = 1; id <= 5; ++id) {
    notification n;
    n.id = id;
    n.user = id == 3 ? 2 : 1;
    n.at = 1'000 * id;
    n.kind = static_cast<notification_kind>(id % 9);
    n.reference = "order:" + std::to_string(id);
    n.message = "Bought 10 M&M at 1,234.50 \"quoted\" \xE2\x82\xB9";
    batch.notifications.push_back(n);
  }
  st->commit(batch);
  auto got = st->load().notifications;
  REQUIRE(got.size() == 5);
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i].id == batch.notifications[i].id);
    CHECK(got[i].user == batch.notifications[i].user);
    CHECK(got[i].at == batch.notifications[i].at);
    CHECK(got[i].kind == batch.notifications[i].kind);
    CHECK(got[i].reference == batch.notifications[i].reference);
    CHECK(got[i].message == batch.notifications[i].message);
    CHECK_FALSE(got[i].read);
  }
  write_batch marks;
  marks.notification_reads = {notification_read{1, 2}, notification_read{1, 4},
                              notification_read{1, 3}}; // 3 is user 2's: not marked
  st->commit(marks);
  got = st->load().notifications;
  CHECK(got[1].read);
  CHECK(got[3].read);
  CHECK_FALSE(got[2].read);
  CHECK_FALSE(got[0].read);
  // A notification written again is not rewritten (its read mark stays).
  st->commit(batch);
  CHECK(st->load().notifications[1].read);
}

inline void watchlists_round_trip_and_upsert(const backend& b) {
  std::unique_ptr<store> st = b.open();
  watchlist w;
  w.user = 3;
  w.id = 1;
  w.name = "Banks \"big\" \xE2\x82\xB9";
  w.symbols = {"HDFCBANK", "ICICIBANK", "M&M"};
  w.created_at = 10;
  w.updated_at = 11;
  watchlist empty = w;
  empty.id = 2;
  empty.name = "Empty";
  empty.symbols = {};
  write_batch batch;
  batch.watchlists = {w, empty};
  st->commit(batch);
  auto got = st->load().watchlists;
  REQUIRE(got.size() == 2);
  CHECK(got[0].name == w.name);
  CHECK(got[0].symbols == w.symbols);
  CHECK(got[1].symbols.empty());
  CHECK_FALSE(got[0].deleted);
  w.symbols = {"TCS"};
  w.deleted = true;
  w.updated_at = 12;
  write_batch change;
  change.watchlists = {w};
  st->commit(change);
  got = st->load().watchlists;
  REQUIRE(got.size() == 2);
  CHECK(got[0].deleted);
  CHECK(got[0].symbols == std::vector<std::string>{"TCS"});
  CHECK(got[0].updated_at == 12);
  CHECK(got[0].created_at == 10);
}

// ---- Users blocked from trading (migration 9) -----------------------------------

// Whether each user a read holds is blocked, by id.
inline std::map<user_id, bool> blocked_by_user(const store_snapshot& s) {
  std::map<user_id, bool> out;
  for (const user_profile& u : s.users)
    out[u.id] = u.trading_blocked;
  return out;
}

// The operator console's "block a user" is a field of the user's row: written
// with it, read by load() and load_user(), cleared by an upsert, and kept
// across reopening. Only that user's row carries it.
inline void trading_blocked_round_trips_and_is_upserted(const backend& b) {
  using blocked_map = std::map<user_id, bool>;
  user_profile blocked = make_user(20, kyc_status::verified);
  blocked.trading_blocked = true;
  const user_profile other = make_user(22, kyc_status::verified);
  REQUIRE_FALSE(other.trading_blocked);

  std::unique_ptr<store> st = b.open();
  write_batch first;
  first.users = {blocked, other};
  st->commit(first);
  check_same(st->load().users, first.users);
  CHECK(blocked_by_user(st->load()) == blocked_map{{20, true}, {22, false}});
  check_same(st->load_user(20).users, {blocked});
  CHECK(blocked_by_user(st->load_user(20)) == blocked_map{{20, true}});
  CHECK(blocked_by_user(st->load_user(22)) == blocked_map{{22, false}});
  // Stored as 1 (0 / 1, like the other flags): what a SQL shell sees.
  b.exec("UPDATE users SET phone = 'seen' WHERE trading_blocked = 1");
  CHECK(st->load().users[0].phone == "seen");
  CHECK(st->load().users[1].phone == other.phone);
  blocked.phone = "seen";

  // Closed and opened again: still blocked.
  st.reset();
  st = b.open();
  check_same(st->load().users, {blocked, other});
  CHECK(blocked_by_user(st->load_user(20)) == blocked_map{{20, true}});

  // Unblocked: the upsert writes the flag, and only that user's row changes.
  user_profile unblocked = blocked;
  unblocked.trading_blocked = false;
  write_batch second;
  second.users = {unblocked};
  st->commit(second);
  check_same(st->load().users, {unblocked, other});
  CHECK(blocked_by_user(st->load()) == blocked_map{{20, false}, {22, false}});
  check_same(st->load_user(20).users, {unblocked});
  CHECK(blocked_by_user(st->load_user(20)) == blocked_map{{20, false}});

  st.reset();
  st = b.open();
  CHECK(blocked_by_user(st->load()) == blocked_map{{20, false}, {22, false}});
  CHECK(blocked_by_user(st->load_user(20)) == blocked_map{{20, false}});

  SECTION("within one batch the later row of the user wins") {
    write_batch twice;
    twice.users = {unblocked, blocked, unblocked, blocked};
    st->commit(twice);
    CHECK(blocked_by_user(st->load()) == blocked_map{{20, true}, {22, false}});
    twice.users = {blocked, unblocked};
    st->commit(twice);
    CHECK(blocked_by_user(st->load_user(20)) == blocked_map{{20, false}});
  }

  SECTION("blocked again, and still blocked after reopening") {
    write_batch again;
    again.users = {blocked};
    st->commit(again);
    st.reset();
    st = b.open();
    check_same(st->load().users, {blocked, other});
    check_same(st->load_user(20).users, {blocked});
  }
}

// Migration 9 on a database that has users: none of them is blocked, and the
// column refuses NULL and defaults to not blocked for a row that omits it.
inline void migration_9_leaves_existing_users_unblocked(const backend& b) {
  b.create_at_version(8);
  const std::string columns =
    "INSERT INTO users (id, email, password_hash, name, phone, kyc, pan, date_of_birth,"
    " address, kyc_reason, created_at) VALUES ";
  b.exec(columns + "(3, 'a@example.in', 'h', 'A', '1', 'VERIFIED', 'P', '1990-01-01', 'x', '', 5),"
                   " (4, 'b@example.in', 'h', 'B', '2', 'PENDING', 'P', '1990-01-02', 'y', '', 6)");

  std::unique_ptr<store> st = b.open();
  store_snapshot snap = st->load();
  REQUIRE(snap.users.size() == 2);
  for (const user_profile& u : snap.users) {
    INFO("user " << u.id);
    CHECK_FALSE(u.trading_blocked);
  }
  CHECK(snap.users[0].email == "a@example.in"); // the rest of the row is kept
  CHECK(snap.users[1].kyc == kyc_status::pending);
  CHECK(snap.users[1].created_at == 6);
  CHECK(blocked_by_user(st->load_user(4)) == std::map<user_id, bool>{{4, false}});
  const std::vector<migration_record> recorded = b.recorded_migrations();
  REQUIRE(recorded.size() == all_migrations().size());
  CHECK(std::any_of(recorded.begin(), recorded.end(),
                    [](const migration_record& m) { return m.version == 9; }));

  // A row written without the column (as by hand) is not blocked either.
  b.exec(columns + "(5, 'c@example.in', 'h', 'C', '3', 'VERIFIED', 'P', '1990-01-03', 'z', '', 7)");
  CHECK(blocked_by_user(st->load())
        == std::map<user_id, bool>{{3, false}, {4, false}, {5, false}});
  REQUIRE_THROWS(b.exec("UPDATE users SET trading_blocked = NULL WHERE id = 3"));
  CHECK(blocked_by_user(st->load_user(3)) == std::map<user_id, bool>{{3, false}});

  // The store blocks one of them; the others stay as they were.
  user_profile u = st->load_user(4).users.at(0);
  u.trading_blocked = true;
  write_batch batch;
  batch.users = {u};
  st->commit(batch);
  CHECK(blocked_by_user(st->load())
        == std::map<user_id, bool>{{3, false}, {4, true}, {5, false}});
}

// ---- The operator console: operators, the audit log, halts ----------------------

inline void operators_round_trip_and_names_stay_taken(const backend& b) {
  std::unique_ptr<store> st = b.open();
  CHECK(st->operators().empty());
  CHECK_FALSE(st->find_operator("root").has_value());

  // Added out of order; names compare as bytes: upper case, then '&', then
  // lower case. 64 characters (the longest name) and non-ASCII ones too.
  const std::string longest(64, 'z');
  const operator_account zeta = make_operator("zeta", true);
  const operator_account alpha = make_operator("alpha", false);
  const operator_account upper = make_operator("Alpha", false);
  const operator_account ops = make_operator("M&M \xE0\xA4\x85 ops", true);
  const operator_account last = make_operator(longest, false);
  for (const operator_account& a : {zeta, alpha, upper, ops, last}) {
    INFO("operator " << a.name);
    CHECK(st->add_operator(a));
  }
  for (const operator_account& a : {zeta, alpha, upper, ops, last}) {
    INFO("operator " << a.name);
    const std::optional<operator_account> found = st->find_operator(a.name);
    REQUIRE(found.has_value());
    check_same(*found, a);
  }
  const std::vector<operator_account> by_name{upper, ops, alpha, zeta, last};
  check_same(st->operators(), by_name);

  SECTION("a taken name answers false and leaves the first operator as it was") {
    operator_account impostor = make_operator("alpha", true);
    impostor.password_hash = "$argon2id$v=19$m=8,t=1,p=1$b3RoZXI$b3RoZXI";
    impostor.created_at = 5;
    CHECK_FALSE(st->add_operator(impostor));
    const std::optional<operator_account> found = st->find_operator("alpha");
    REQUIRE(found.has_value());
    check_same(*found, alpha);
    check_same(st->operators(), by_name);
  }

  SECTION("an unknown name is nullopt: not a prefix, not another case") {
    CHECK_FALSE(st->find_operator("alph").has_value());
    CHECK_FALSE(st->find_operator("alphas").has_value());
    CHECK_FALSE(st->find_operator("ALPHA").has_value());
    CHECK_FALSE(st->find_operator("").has_value());
    CHECK_FALSE(st->find_operator(longest + "z").has_value());
  }

  SECTION("operators are kept across reopening, and their names stay taken") {
    st.reset();
    st = b.open();
    check_same(st->operators(), by_name);
    const std::optional<operator_account> found = st->find_operator(zeta.name);
    REQUIRE(found.has_value());
    check_same(*found, zeta);
    CHECK_FALSE(st->add_operator(make_operator("zeta", false)));
    CHECK(st->add_operator(make_operator("beta", false)));
    CHECK(st->operators().size() == by_name.size() + 1);
  }

  // Not part of the books: a commit does not touch them.
  const std::vector<operator_account> before = st->operators();
  st->commit(full_batch());
  check_same(st->operators(), before);
}

inline void audit_log_appends_and_pages_newest_first(const backend& b) {
  std::unique_ptr<store> st = b.open();
  CHECK(st->audit_log(0, 100).empty());

  // want[k] is entry k with the id the store gave it; ids increase.
  std::vector<audit_entry> want;
  for (int k = 0; k < 5; ++k) {
    audit_entry e = make_audit(k);
    e.id = k == 2 ? 1'000'000 : -7; // ignored
    const int64_t id = st->append_audit(e);
    INFO("entry " << k << " got id " << id);
    CHECK(id > 0);
    if (!want.empty())
      CHECK(id > want.back().id);
    e.id = id;
    want.push_back(e);
  }
  const auto newest_first = [&want](std::initializer_list<int> ks) {
    std::vector<audit_entry> out;
    for (int k : ks)
      out.push_back(want[k]);
    return out;
  };
  const int64_t first = want[0].id, newest = want[4].id;

  // Every field, newest first, from the newest: before_id 0 or negative.
  check_same(st->audit_log(0, 100), newest_first({4, 3, 2, 1, 0}));
  check_same(st->audit_log(-1, 100), newest_first({4, 3, 2, 1, 0}));
  check_same(st->audit_log(0, std::numeric_limits<size_t>::max()), newest_first({4, 3, 2, 1, 0}));

  // limit at the boundaries: none, fewer than there are, exactly, more.
  CHECK(st->audit_log(0, 0).empty());
  check_same(st->audit_log(0, 1), newest_first({4}));
  check_same(st->audit_log(0, 4), newest_first({4, 3, 2, 1}));
  check_same(st->audit_log(0, 5), newest_first({4, 3, 2, 1, 0}));
  check_same(st->audit_log(0, 6), newest_first({4, 3, 2, 1, 0}));

  // before_id is exclusive: the entry with that id is not in its page.
  check_same(st->audit_log(newest + 1, 1), newest_first({4}));
  check_same(st->audit_log(newest, 1), newest_first({3}));
  check_same(st->audit_log(want[3].id, 2), newest_first({2, 1}));
  check_same(st->audit_log(want[3].id, 3), newest_first({2, 1, 0}));
  check_same(st->audit_log(want[3].id, 4), newest_first({2, 1, 0}));
  check_same(st->audit_log(want[1].id, 10), newest_first({0}));
  CHECK(st->audit_log(first, 10).empty());
  CHECK(st->audit_log(1, 10).empty()); // ids are positive
  CHECK(st->audit_log(newest, 0).empty());

  // Paging as the console does: each page starts before the last one's oldest.
  std::vector<audit_entry> walked;
  int64_t before = 0;
  for (int pages = 0; pages < 10; ++pages) {
    std::vector<audit_entry> page = st->audit_log(before, 2);
    CHECK(page.size() <= 2);
    if (page.empty())
      break;
    before = page.back().id;
    walked.insert(walked.end(), page.begin(), page.end());
  }
  check_same(walked, newest_first({4, 3, 2, 1, 0}));

  // Closed and opened again: the same log, and new ids still come after it.
  st.reset();
  st = b.open();
  check_same(st->audit_log(0, 100), newest_first({4, 3, 2, 1, 0}));
  audit_entry later = make_audit(5);
  later.id = first; // ignored: an id is never given twice
  later.id = st->append_audit(later);
  CHECK(later.id > newest);
  want.push_back(later);
  check_same(st->audit_log(0, 2), newest_first({5, 4}));
  check_same(st->audit_log(later.id, 1), newest_first({4}));
}

inline void halts_are_put_replaced_and_removed(const backend& b) {
  std::unique_ptr<store> st = b.open();
  CHECK(st->halts().empty());
  st->remove_halt("INFY"); // absent, from an empty table: nothing happens
  CHECK(st->halts().empty());

  const stored_halt tcs = make_halt("TCS", 300), infy = make_halt("INFY", 100),
                    mm = make_halt("M&M", 200), lower = make_halt("infy", 400);
  for (const stored_halt& h : {tcs, infy, mm, lower})
    st->put_halt(h);
  check_same(st->halts(), {infy, mm, tcs, lower}); // by symbol, as bytes

  // put replaces every field of the symbol's row, and only that row.
  stored_halt again = infy;
  again.reason = "";
  again.since = 999;
  again.operator_name = "ops-other";
  st->put_halt(again);
  check_same(st->halts(), {again, mm, tcs, lower});

  st->remove_halt("TCS");
  check_same(st->halts(), {again, mm, lower});
  st->remove_halt("TCS");  // already gone
  st->remove_halt("NOPE"); // never there
  st->remove_halt("M&");   // the symbol, not a prefix
  check_same(st->halts(), {again, mm, lower});

  // Closed and opened again: what was halted still is.
  st.reset();
  st = b.open();
  check_same(st->halts(), {again, mm, lower});
  st->remove_halt("infy"); // case matters: INFY stays
  st->put_halt(tcs);
  check_same(st->halts(), {again, mm, tcs});
}

// The console's calls come from other threads than the persistence actor's
// commits: on each backend they share the writer connection, so they must
// take turns with commits, never interleave with one.
inline void console_writes_race_commits(const backend& b) {
  std::unique_ptr<store> st_owner = b.open();
  store& st = *st_owner;
  constexpr int per_thread = 60;
  constexpr user_id owner = 7;
  std::mutex failure_mutex;
  std::vector<std::string> failures;
  auto guarded = [&](const char* what, auto body) {
    return [&failure_mutex, &failures, what, body] {
      try {
        body();
      } catch (const std::exception& e) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        failures.push_back(std::string(what) + ": " + e.what());
      }
    };
  };
  std::vector<int64_t> ids[2];
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t)
    threads.emplace_back(guarded("append_audit", [&st, &ids, t] {
      for (int k = 0; k < per_thread; ++k)
        ids[t].push_back(st.append_audit(make_audit(t * per_thread + k)));
    }));
  std::map<std::string, stored_halt> halted; // what the halts thread leaves
  threads.emplace_back(guarded("put_halt", [&st, &halted] {
    for (int k = 0; k < per_thread; ++k) {
      const stored_halt h = make_halt("S" + std::to_string(k % 5), k);
      st.put_halt(h);
      halted[h.symbol] = h;
      if (k % 3 == 0) {
        st.remove_halt("S" + std::to_string((k + 1) % 5));
        halted.erase("S" + std::to_string((k + 1) % 5));
      }
    }
  }));
  threads.emplace_back(guarded("commit", [&st] {
    for (int64_t k = 1; k <= per_thread; ++k) {
      write_batch batch;
      batch.orders = {make_order(owner, k)};
      batch.executions = {make_execution("R-" + std::to_string(k), make_order_id(owner, k),
                                         exec_kind::trade)};
      st.commit(batch);
    }
  }));
  for (std::thread& t : threads)
    t.join();
  for (const std::string& f : failures)
    FAIL_CHECK(f);

  // Each thread's ids increase, no id was given twice, and the log holds every entry.
  std::vector<int64_t> all;
  for (auto& mine : ids) {
    CHECK(std::is_sorted(mine.begin(), mine.end()));
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  CHECK(std::adjacent_find(all.begin(), all.end()) == all.end());
  const std::vector<audit_entry> log = st.audit_log(0, 10 * per_thread);
  REQUIRE(log.size() == static_cast<size_t>(2 * per_thread));
  for (size_t i = 0; i < log.size(); ++i)
    CHECK(log[i].id == all[all.size() - 1 - i]);
  CHECK(st.load().orders.size() == static_cast<size_t>(per_thread));
  CHECK(st.load().executions.size() == static_cast<size_t>(per_thread));
  std::vector<stored_halt> want_halts;
  for (const auto& entry : halted)
    want_halts.push_back(entry.second);
  check_same(st.halts(), want_halts);
}

} // namespace store_contract
