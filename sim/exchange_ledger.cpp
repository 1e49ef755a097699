#include "sim/exchange_ledger.hpp"

#include <stdexcept>

#include <SQLiteCpp/SQLiteCpp.h>

namespace broker::sim {

namespace {

constexpr const char* schema = R"(
CREATE TABLE IF NOT EXISTS orders (
  cl_ord_id      INTEGER PRIMARY KEY,
  account        INTEGER NOT NULL,
  symbol         TEXT    NOT NULL,
  side           INTEGER NOT NULL,
  type           INTEGER NOT NULL,
  validity       INTEGER NOT NULL,
  quantity       INTEGER NOT NULL CHECK (quantity > 0),
  price          INTEGER NOT NULL,
  trigger_price  INTEGER NOT NULL,
  cum_quantity   INTEGER NOT NULL CHECK (cum_quantity >= 0 AND cum_quantity <= quantity),
  cum_value      INTEGER NOT NULL,
  status         INTEGER NOT NULL,
  exchange_id    TEXT    NOT NULL,
  received_at    INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS executions (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  exec_id        TEXT    NOT NULL UNIQUE,
  cl_ord_id      INTEGER NOT NULL,
  kind           INTEGER NOT NULL,
  last_quantity  INTEGER NOT NULL,
  last_price     INTEGER NOT NULL,
  cum_quantity   INTEGER NOT NULL,
  leaves_quantity INTEGER NOT NULL,
  exchange_id    TEXT    NOT NULL,
  text           TEXT    NOT NULL,
  time           INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS executions_by_order ON executions (cl_ord_id, seq);
)";

ledger_order order_from(SQLite::Statement& q) {
  ledger_order o;
  o.request.id = q.getColumn(0).getInt64();
  o.request.user = q.getColumn(1).getInt64();
  o.request.symbol = q.getColumn(2).getString();
  o.request.side = static_cast<side>(q.getColumn(3).getInt());
  o.request.type = static_cast<order_type>(q.getColumn(4).getInt());
  o.request.validity = static_cast<validity>(q.getColumn(5).getInt());
  o.request.quantity = q.getColumn(6).getInt64();
  o.request.price = q.getColumn(7).getInt64();
  o.request.trigger_price = q.getColumn(8).getInt64();
  o.cum_quantity = q.getColumn(9).getInt64();
  o.cum_value = q.getColumn(10).getInt64();
  o.status = static_cast<order_status>(q.getColumn(11).getInt());
  o.exchange_order_id = q.getColumn(12).getString();
  o.request.created_at = q.getColumn(13).getInt64();
  o.request.status = o.status;
  o.request.filled_quantity = o.cum_quantity;
  o.request.filled_value = o.cum_value;
  return o;
}

constexpr const char* order_columns =
  "cl_ord_id, account, symbol, side, type, validity, quantity, price, trigger_price, cum_quantity, "
  "cum_value, status, exchange_id, received_at";

} // namespace

struct exchange_ledger::db {
  explicit db(const std::string& path)
    : conn(path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX) {
    conn.exec("PRAGMA journal_mode = WAL");
    conn.exec("PRAGMA synchronous = NORMAL");
    conn.exec(schema);
  }
  SQLite::Database conn;
};

exchange_ledger::exchange_ledger(const std::string& path) {
  try {
    db_ = std::make_unique<db>(path);
  } catch (const std::exception& e) {
    throw std::runtime_error("exchange ledger " + path + ": " + e.what());
  }
}

exchange_ledger::~exchange_ledger() = default;

void exchange_ledger::record(const ledger_order& o, const execution_report* e) {
  SQLite::Transaction tx{db_->conn};
  SQLite::Statement up{db_->conn, std::string("INSERT INTO orders (") + order_columns
                                    + ") VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (cl_ord_id) DO UPDATE SET "
                                      "cum_quantity = excluded.cum_quantity, cum_value = excluded.cum_value, "
                                      "status = excluded.status, exchange_id = excluded.exchange_id"};
  const auto& r = o.request;
  up.bind(1, static_cast<int64_t>(r.id));
  up.bind(2, static_cast<int64_t>(r.user));
  up.bind(3, r.symbol);
  up.bind(4, static_cast<int>(r.side));
  up.bind(5, static_cast<int>(r.type));
  up.bind(6, static_cast<int>(r.validity));
  up.bind(7, static_cast<int64_t>(r.quantity));
  up.bind(8, static_cast<int64_t>(r.price));
  up.bind(9, static_cast<int64_t>(r.trigger_price));
  up.bind(10, static_cast<int64_t>(o.cum_quantity));
  up.bind(11, static_cast<int64_t>(o.cum_value));
  up.bind(12, static_cast<int>(o.status));
  up.bind(13, o.exchange_order_id);
  up.bind(14, static_cast<int64_t>(r.created_at));
  up.exec();
  if (e) {
    SQLite::Statement ins{db_->conn,
                          "INSERT INTO executions (exec_id, cl_ord_id, kind, last_quantity, last_price, "
                          "cum_quantity, leaves_quantity, exchange_id, text, time) VALUES (?,?,?,?,?,?,?,?,?,?)"};
    ins.bind(1, e->exec_id);
    ins.bind(2, static_cast<int64_t>(e->client_order_id));
    ins.bind(3, static_cast<int>(e->kind));
    ins.bind(4, static_cast<int64_t>(e->last_quantity));
    ins.bind(5, static_cast<int64_t>(e->last_price));
    ins.bind(6, static_cast<int64_t>(e->cum_quantity));
    ins.bind(7, static_cast<int64_t>(e->leaves_quantity));
    ins.bind(8, e->exchange_order_id);
    ins.bind(9, e->text);
    ins.bind(10, static_cast<int64_t>(e->time));
    ins.exec();
  }
  tx.commit();
}

std::unique_ptr<ledger_order> exchange_ledger::find(order_id id) const {
  SQLite::Statement q{db_->conn, std::string("SELECT ") + order_columns + " FROM orders WHERE cl_ord_id = ?"};
  q.bind(1, static_cast<int64_t>(id));
  if (!q.executeStep())
    return nullptr;
  return std::make_unique<ledger_order>(order_from(q));
}

std::vector<ledger_order> exchange_ledger::working() const {
  SQLite::Statement q{db_->conn, std::string("SELECT ") + order_columns
                                   + " FROM orders WHERE status IN (?, ?, ?, ?) ORDER BY cl_ord_id"};
  q.bind(1, static_cast<int>(order_status::pending));
  q.bind(2, static_cast<int>(order_status::open));
  q.bind(3, static_cast<int>(order_status::partially_filled));
  q.bind(4, static_cast<int>(order_status::pending_cancel));
  std::vector<ledger_order> out;
  while (q.executeStep())
    out.push_back(order_from(q));
  return out;
}

std::vector<execution_report> exchange_ledger::executions_of(order_id id) const {
  SQLite::Statement q{db_->conn,
                      "SELECT e.exec_id, e.kind, e.last_quantity, e.last_price, e.cum_quantity, e.leaves_quantity, "
                      "e.exchange_id, e.text, e.time, o.account FROM executions e JOIN orders o ON "
                      "o.cl_ord_id = e.cl_ord_id WHERE e.cl_ord_id = ? ORDER BY e.seq"};
  q.bind(1, static_cast<int64_t>(id));
  std::vector<execution_report> out;
  while (q.executeStep()) {
    execution_report r;
    r.exec_id = q.getColumn(0).getString();
    r.client_order_id = id;
    r.kind = static_cast<exec_kind>(q.getColumn(1).getInt());
    r.last_quantity = q.getColumn(2).getInt64();
    r.last_price = q.getColumn(3).getInt64();
    r.cum_quantity = q.getColumn(4).getInt64();
    r.leaves_quantity = q.getColumn(5).getInt64();
    r.exchange_order_id = q.getColumn(6).getString();
    r.text = q.getColumn(7).getString();
    r.time = q.getColumn(8).getInt64();
    r.account = q.getColumn(9).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

size_t exchange_ledger::order_count() const {
  return static_cast<size_t>(db_->conn.execAndGet("SELECT count(*) FROM orders").getInt64());
}

size_t exchange_ledger::execution_count() const {
  return static_cast<size_t>(db_->conn.execAndGet("SELECT count(*) FROM executions").getInt64());
}

} // namespace broker::sim
