#include "storage/migrations.hpp"

#include <algorithm>
#include <string>

#include "storage/store.hpp"

namespace broker {

// Conventions for every table (both dialects):
//  - column names avoid SQL keywords (user_id, not "user"; order_id, not "order");
//  - enums are stored as their wire strings (to_string / parse_* in types.hpp),
//    so a row reads the same in a SQL shell as on the API;
//  - money, quantities and timestamps (ns since epoch) are 64-bit integers;
//  - every column is NOT NULL: the domain structs have no "absent" values, an
//    empty string is the empty value.
// No foreign keys: the store records the in-memory books' state, it does not
// validate it; a constraint the books didn't check would reject a flush the
// persistence actor cannot repair and stall persistence for good.
// SQLite tables are STRICT so a value of the wrong type is refused on write
// instead of being coerced on read.

const char* const schema_migrations_sqlite_ddl = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT,
  applied_at TEXT
);
)sql";

const char* const schema_migrations_postgres_ddl = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER PRIMARY KEY,
  name       TEXT,
  applied_at TEXT
);
)sql";

namespace {

// Migration 1. Executions keep insertion order for order detail: SQLite uses
// the implicit rowid (monotonic because rows are never deleted), PostgreSQL
// has no rowid so it gets an identity column.
const char* const v1_sqlite = R"sql(
CREATE TABLE users (
  id            INTEGER NOT NULL PRIMARY KEY,
  email         TEXT    NOT NULL UNIQUE,
  password_hash TEXT    NOT NULL,
  name          TEXT    NOT NULL,
  phone         TEXT    NOT NULL,
  kyc           TEXT    NOT NULL,
  pan           TEXT    NOT NULL,
  date_of_birth TEXT    NOT NULL,
  address       TEXT    NOT NULL,
  kyc_reason    TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE accounts (
  user_id          INTEGER NOT NULL PRIMARY KEY,
  cash_available   INTEGER NOT NULL,
  cash_held        INTEGER NOT NULL,
  next_order_seq   INTEGER NOT NULL,
  next_transfer_id INTEGER NOT NULL
) STRICT;

CREATE TABLE holdings (
  user_id       INTEGER NOT NULL,
  symbol        TEXT    NOT NULL,
  quantity      INTEGER NOT NULL,
  held_quantity INTEGER NOT NULL,
  cost_basis    INTEGER NOT NULL,
  PRIMARY KEY (user_id, symbol)
) STRICT;

CREATE TABLE orders (
  id                INTEGER NOT NULL PRIMARY KEY,
  user_id           INTEGER NOT NULL,
  symbol            TEXT    NOT NULL,
  side              TEXT    NOT NULL,
  order_type        TEXT    NOT NULL,
  validity          TEXT    NOT NULL,
  quantity          INTEGER NOT NULL,
  price             INTEGER NOT NULL,
  trigger_price     INTEGER NOT NULL,
  status            TEXT    NOT NULL,
  filled_quantity   INTEGER NOT NULL,
  filled_value      INTEGER NOT NULL,
  held_cash         INTEGER NOT NULL,
  exchange_order_id TEXT    NOT NULL,
  reject_code       TEXT    NOT NULL,
  reject_message    TEXT    NOT NULL,
  idempotency_key   TEXT    NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL
) STRICT;
CREATE INDEX orders_by_user ON orders (user_id);

CREATE TABLE executions (
  exec_id           TEXT    NOT NULL PRIMARY KEY,
  order_id          INTEGER NOT NULL,
  user_id           INTEGER NOT NULL,
  exchange_order_id TEXT    NOT NULL,
  kind              TEXT    NOT NULL,
  last_quantity     INTEGER NOT NULL,
  last_price        INTEGER NOT NULL,
  cum_quantity      INTEGER NOT NULL,
  leaves_quantity   INTEGER NOT NULL,
  report_text       TEXT    NOT NULL,
  exec_time         INTEGER NOT NULL,
  symbol            TEXT    NOT NULL,
  side              TEXT    NOT NULL
) STRICT;
-- The index carries the rowid, so "WHERE order_id = ? ORDER BY rowid" needs no sort.
CREATE INDEX executions_by_order ON executions (order_id);

CREATE TABLE transfers (
  user_id           INTEGER NOT NULL,
  id                INTEGER NOT NULL,
  kind              TEXT    NOT NULL,
  amount            INTEGER NOT NULL,
  status            TEXT    NOT NULL,
  gateway_reference TEXT    NOT NULL,
  failure_reason    TEXT    NOT NULL,
  created_at        INTEGER NOT NULL,
  updated_at        INTEGER NOT NULL,
  PRIMARY KEY (user_id, id)
) STRICT;

CREATE TABLE idempotency (
  user_id         INTEGER NOT NULL,
  idempotency_key TEXT    NOT NULL,
  request_digest  TEXT    NOT NULL,
  order_id        INTEGER NOT NULL,
  PRIMARY KEY (user_id, idempotency_key)
) STRICT;
)sql";

const char* const v1_postgres = R"sql(
CREATE TABLE users (
  id            BIGINT NOT NULL PRIMARY KEY,
  email         TEXT   NOT NULL UNIQUE,
  password_hash TEXT   NOT NULL,
  name          TEXT   NOT NULL,
  phone         TEXT   NOT NULL,
  kyc           TEXT   NOT NULL,
  pan           TEXT   NOT NULL,
  date_of_birth TEXT   NOT NULL,
  address       TEXT   NOT NULL,
  kyc_reason    TEXT   NOT NULL,
  created_at    BIGINT NOT NULL
);

CREATE TABLE accounts (
  user_id          BIGINT NOT NULL PRIMARY KEY,
  cash_available   BIGINT NOT NULL,
  cash_held        BIGINT NOT NULL,
  next_order_seq   BIGINT NOT NULL,
  next_transfer_id BIGINT NOT NULL
);

CREATE TABLE holdings (
  user_id       BIGINT NOT NULL,
  symbol        TEXT   NOT NULL,
  quantity      BIGINT NOT NULL,
  held_quantity BIGINT NOT NULL,
  cost_basis    BIGINT NOT NULL,
  PRIMARY KEY (user_id, symbol)
);

CREATE TABLE orders (
  id                BIGINT NOT NULL PRIMARY KEY,
  user_id           BIGINT NOT NULL,
  symbol            TEXT   NOT NULL,
  side              TEXT   NOT NULL,
  order_type        TEXT   NOT NULL,
  validity          TEXT   NOT NULL,
  quantity          BIGINT NOT NULL,
  price             BIGINT NOT NULL,
  trigger_price     BIGINT NOT NULL,
  status            TEXT   NOT NULL,
  filled_quantity   BIGINT NOT NULL,
  filled_value      BIGINT NOT NULL,
  held_cash         BIGINT NOT NULL,
  exchange_order_id TEXT   NOT NULL,
  reject_code       TEXT   NOT NULL,
  reject_message    TEXT   NOT NULL,
  idempotency_key   TEXT   NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL
);
CREATE INDEX orders_by_user ON orders (user_id);

CREATE TABLE executions (
  seq               BIGINT GENERATED ALWAYS AS IDENTITY,
  exec_id           TEXT   NOT NULL PRIMARY KEY,
  order_id          BIGINT NOT NULL,
  user_id           BIGINT NOT NULL,
  exchange_order_id TEXT   NOT NULL,
  kind              TEXT   NOT NULL,
  last_quantity     BIGINT NOT NULL,
  last_price        BIGINT NOT NULL,
  cum_quantity      BIGINT NOT NULL,
  leaves_quantity   BIGINT NOT NULL,
  report_text       TEXT   NOT NULL,
  exec_time         BIGINT NOT NULL,
  symbol            TEXT   NOT NULL,
  side              TEXT   NOT NULL
);
CREATE UNIQUE INDEX executions_by_seq ON executions (seq);
CREATE INDEX executions_by_order ON executions (order_id, seq);

CREATE TABLE transfers (
  user_id           BIGINT NOT NULL,
  id                BIGINT NOT NULL,
  kind              TEXT   NOT NULL,
  amount            BIGINT NOT NULL,
  status            TEXT   NOT NULL,
  gateway_reference TEXT   NOT NULL,
  failure_reason    TEXT   NOT NULL,
  created_at        BIGINT NOT NULL,
  updated_at        BIGINT NOT NULL,
  PRIMARY KEY (user_id, id)
);

CREATE TABLE idempotency (
  user_id         BIGINT NOT NULL,
  idempotency_key TEXT   NOT NULL,
  request_digest  TEXT   NOT NULL,
  order_id        BIGINT NOT NULL,
  PRIMARY KEY (user_id, idempotency_key)
);
)sql";

// Migration 2. Order ids became node-wide and increasing (they no longer carry
// their owner), so new orders, their executions and their idempotency keys are
// appended at the end of each B-tree instead of written all over it. What
// existed only to find rows by user goes: the books are read whole at start.
const char* const v2_sqlite = R"sql(
ALTER TABLE accounts DROP COLUMN next_order_seq;
DROP INDEX orders_by_user;
CREATE TABLE idempotency_by_order (
  order_id        INTEGER NOT NULL PRIMARY KEY,
  user_id         INTEGER NOT NULL,
  idempotency_key TEXT    NOT NULL,
  request_digest  TEXT    NOT NULL
) STRICT;
INSERT INTO idempotency_by_order (order_id, user_id, idempotency_key, request_digest)
  SELECT order_id, user_id, idempotency_key, request_digest FROM idempotency;
DROP TABLE idempotency;
ALTER TABLE idempotency_by_order RENAME TO idempotency;
)sql";

const char* const v2_postgres = R"sql(
ALTER TABLE accounts DROP COLUMN next_order_seq;
DROP INDEX orders_by_user;
ALTER TABLE idempotency DROP CONSTRAINT idempotency_pkey;
ALTER TABLE idempotency ADD PRIMARY KEY (order_id);
)sql";

// Migration 3. The account row keeps only total cash; the held part is derived
// from working orders and pending withdrawals at load, so holds and releases
// (every order placed or cancelled) no longer rewrite the account row.
const char* const v3_sqlite = R"sql(
ALTER TABLE accounts ADD COLUMN cash INTEGER NOT NULL DEFAULT 0;
UPDATE accounts SET cash = cash_available + cash_held;
ALTER TABLE accounts DROP COLUMN cash_available;
ALTER TABLE accounts DROP COLUMN cash_held;
)sql";

const char* const v3_postgres = R"sql(
ALTER TABLE accounts ADD COLUMN cash BIGINT NOT NULL DEFAULT 0;
UPDATE accounts SET cash = cash_available + cash_held;
ALTER TABLE accounts DROP COLUMN cash_available;
ALTER TABLE accounts DROP COLUMN cash_held;
)sql";

// Migration 4. One-minute candles per symbol, written as each minute closes.
const char* const v4_sqlite = R"sql(
CREATE TABLE candles (
  symbol TEXT    NOT NULL,
  start  INTEGER NOT NULL,
  open   INTEGER NOT NULL,
  high   INTEGER NOT NULL,
  low    INTEGER NOT NULL,
  close  INTEGER NOT NULL,
  volume INTEGER NOT NULL,
  PRIMARY KEY (symbol, start)
) STRICT, WITHOUT ROWID;
)sql";

const char* const v4_postgres = R"sql(
CREATE TABLE candles (
  symbol TEXT   NOT NULL,
  start  BIGINT NOT NULL,
  open   BIGINT NOT NULL,
  high   BIGINT NOT NULL,
  low    BIGINT NOT NULL,
  close  BIGINT NOT NULL,
  volume BIGINT NOT NULL,
  PRIMARY KEY (symbol, start)
);
)sql";

// Migration 5. Price alerts, owned by the user's account.
const char* const v5_sqlite = R"sql(
CREATE TABLE alerts (
  user_id         INTEGER NOT NULL,
  id              INTEGER NOT NULL,
  symbol          TEXT    NOT NULL,
  condition       TEXT    NOT NULL,
  price           INTEGER NOT NULL,
  status          TEXT    NOT NULL,
  triggered_price INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  updated_at      INTEGER NOT NULL,
  PRIMARY KEY (user_id, id)
) STRICT;
)sql";

const char* const v5_postgres = R"sql(
CREATE TABLE alerts (
  user_id         BIGINT NOT NULL,
  id              BIGINT NOT NULL,
  symbol          TEXT   NOT NULL,
  condition       TEXT   NOT NULL,
  price           BIGINT NOT NULL,
  status          TEXT   NOT NULL,
  triggered_price BIGINT NOT NULL,
  created_at      BIGINT NOT NULL,
  updated_at      BIGINT NOT NULL,
  PRIMARY KEY (user_id, id)
);
)sql";

// Migration 6. The double-entry journal: one row per money movement, one
// column per ledger account (protocol/ledger.hpp), and the database itself
// refuses a row that does not balance. Keyed by a node-wide id, appended
// like orders, and read whole at start (no index by user: see store.hpp). Sale proceeds waiting to settle, per
// day. Orders keep what they hold of unsettled proceeds and their charges;
// executions their charges. Accounts that already hold money get an opening
// entry, so their balances are the journal's sums from the start.
const char* const v6_sqlite = R"sql(
CREATE TABLE journal (
  id                INTEGER NOT NULL PRIMARY KEY,
  user_id           INTEGER NOT NULL,
  at                INTEGER NOT NULL,
  kind              TEXT    NOT NULL,
  reference         TEXT    NOT NULL,
  user_cash         INTEGER NOT NULL,
  user_unsettled    INTEGER NOT NULL,
  user_held         INTEGER NOT NULL,
  house_settlement  INTEGER NOT NULL,
  house_fees        INTEGER NOT NULL,
  statutory_charges INTEGER NOT NULL,
  bank              INTEGER NOT NULL,
  CONSTRAINT journal_entry_balances CHECK (user_cash + user_unsettled + user_held
    + house_settlement + house_fees + statutory_charges + bank = 0)
) STRICT;

CREATE TABLE settlements (
  user_id INTEGER NOT NULL,
  due_day INTEGER NOT NULL,
  amount  INTEGER NOT NULL,
  PRIMARY KEY (user_id, due_day)
) STRICT;

ALTER TABLE orders ADD COLUMN held_unsettled INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN unsettled_due INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN fees INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN brokerage INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN stt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN exchange_charges INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN sebi_fees INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN stamp_duty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN gst INTEGER NOT NULL DEFAULT 0;

-- Money that predates the journal: one opening entry per account, split
-- into what working buys and pending withdrawals hold and the free rest.
INSERT INTO journal (id, user_id, at, kind, reference, user_cash, user_unsettled, user_held,
                     house_settlement, house_fees, statutory_charges, bank)
SELECT ROW_NUMBER() OVER (ORDER BY a.user_id), a.user_id, 0, 'OPENING_BALANCE', '',
       a.cash - COALESCE(o.held, 0) - COALESCE(w.held, 0), 0,
       COALESCE(o.held, 0) + COALESCE(w.held, 0), 0, 0, 0, -a.cash
FROM accounts a
LEFT JOIN (SELECT user_id, SUM(held_cash) AS held FROM orders
           WHERE status IN ('PENDING', 'OPEN', 'PARTIALLY_FILLED', 'PENDING_CANCEL')
           GROUP BY user_id) o ON o.user_id = a.user_id
LEFT JOIN (SELECT user_id, SUM(amount) AS held FROM transfers
           WHERE kind = 'WITHDRAWAL' AND status = 'PENDING'
           GROUP BY user_id) w ON w.user_id = a.user_id
WHERE a.cash <> 0 OR COALESCE(o.held, 0) + COALESCE(w.held, 0) <> 0;
)sql";

const char* const v6_postgres = R"sql(
CREATE TABLE journal (
  id                BIGINT  NOT NULL PRIMARY KEY,
  user_id           BIGINT  NOT NULL,
  at                BIGINT  NOT NULL,
  kind              TEXT    NOT NULL,
  reference         TEXT    NOT NULL,
  user_cash         BIGINT  NOT NULL,
  user_unsettled    BIGINT  NOT NULL,
  user_held         BIGINT  NOT NULL,
  house_settlement  BIGINT  NOT NULL,
  house_fees        BIGINT  NOT NULL,
  statutory_charges BIGINT  NOT NULL,
  bank              BIGINT  NOT NULL,
  CONSTRAINT journal_entry_balances CHECK (user_cash + user_unsettled + user_held
    + house_settlement + house_fees + statutory_charges + bank = 0)
);

CREATE TABLE settlements (
  user_id BIGINT  NOT NULL,
  due_day BIGINT  NOT NULL,
  amount  BIGINT  NOT NULL,
  PRIMARY KEY (user_id, due_day)
);

ALTER TABLE orders ADD COLUMN held_unsettled BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN unsettled_due BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN fees BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN brokerage BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN stt BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN exchange_charges BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN sebi_fees BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN stamp_duty BIGINT  NOT NULL DEFAULT 0;
ALTER TABLE executions ADD COLUMN gst BIGINT  NOT NULL DEFAULT 0;

-- Money that predates the journal: one opening entry per account, split
-- into what working buys and pending withdrawals hold and the free rest.
INSERT INTO journal (id, user_id, at, kind, reference, user_cash, user_unsettled, user_held,
                     house_settlement, house_fees, statutory_charges, bank)
SELECT ROW_NUMBER() OVER (ORDER BY a.user_id), a.user_id, 0, 'OPENING_BALANCE', '',
       a.cash - COALESCE(o.held, 0) - COALESCE(w.held, 0), 0,
       COALESCE(o.held, 0) + COALESCE(w.held, 0), 0, 0, 0, -a.cash
FROM accounts a
LEFT JOIN (SELECT user_id, SUM(held_cash) AS held FROM orders
           WHERE status IN ('PENDING', 'OPEN', 'PARTIALLY_FILLED', 'PENDING_CANCEL')
           GROUP BY user_id) o ON o.user_id = a.user_id
LEFT JOIN (SELECT user_id, SUM(amount) AS held FROM transfers
           WHERE kind = 'WITHDRAWAL' AND status = 'PENDING'
           GROUP BY user_id) w ON w.user_id = a.user_id
WHERE a.cash <> 0 OR COALESCE(o.held, 0) + COALESCE(w.held, 0) <> 0;
)sql";

// Migration 7. Notifications (written with the event they tell of; is_read
// flips when the user marks them) and watchlists (symbols comma-separated).
const char* const v7_sqlite = R"sql(
CREATE TABLE notifications (
  id        INTEGER NOT NULL PRIMARY KEY,
  user_id   INTEGER NOT NULL,
  at        INTEGER NOT NULL,
  kind      TEXT    NOT NULL,
  reference TEXT    NOT NULL,
  message   TEXT    NOT NULL,
  is_read   INTEGER NOT NULL
) STRICT;

CREATE TABLE watchlists (
  user_id    INTEGER NOT NULL,
  id         INTEGER NOT NULL,
  name       TEXT    NOT NULL,
  symbols    TEXT    NOT NULL,
  deleted    INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, id)
) STRICT;
)sql";

const char* const v7_postgres = R"sql(
CREATE TABLE notifications (
  id        BIGINT  NOT NULL PRIMARY KEY,
  user_id   BIGINT  NOT NULL,
  at        BIGINT  NOT NULL,
  kind      TEXT    NOT NULL,
  reference TEXT    NOT NULL,
  message   TEXT    NOT NULL,
  is_read   BIGINT  NOT NULL
);

CREATE TABLE watchlists (
  user_id    BIGINT  NOT NULL,
  id         BIGINT  NOT NULL,
  name       TEXT    NOT NULL,
  symbols    TEXT    NOT NULL,
  deleted    BIGINT  NOT NULL,
  created_at BIGINT  NOT NULL,
  updated_at BIGINT  NOT NULL,
  PRIMARY KEY (user_id, id)
);
)sql";

// Migration 8. The operator console: operators (their own table, not users),
// trading halts that outlive a restart, and the operators' audit log. The log
// is append-only in the database itself, so neither a bug in the app nor a
// hand-typed statement rewrites history; an owner of the schema can still drop
// the triggers, which no trigger can prevent. Its ids come from the database,
// increasing: SQLite's AUTOINCREMENT never hands out an id again (the largest
// is kept in sqlite_sequence), PostgreSQL's identity is a sequence. Operator
// names and symbols compare as bytes: "Admin" and "admin" are two operators.
const char* const v8_sqlite = R"sql(
CREATE TABLE operators (
  name          TEXT    NOT NULL PRIMARY KEY,
  password_hash TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  disabled      INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE trading_halts (
  symbol        TEXT    NOT NULL PRIMARY KEY,
  reason        TEXT    NOT NULL,
  since         INTEGER NOT NULL,
  operator_name TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_log (
  id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  at             INTEGER NOT NULL,
  operator_name  TEXT    NOT NULL,
  remote_address TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  target         TEXT    NOT NULL,
  detail         TEXT    NOT NULL,
  status         INTEGER NOT NULL
) STRICT;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END;
)sql";

// Row triggers do not fire on TRUNCATE, so it gets a statement trigger of its own.
const char* const v8_postgres = R"sql(
CREATE TABLE operators (
  name          TEXT    NOT NULL PRIMARY KEY,
  password_hash TEXT    NOT NULL,
  created_at    BIGINT  NOT NULL,
  disabled      BIGINT  NOT NULL
);

CREATE TABLE trading_halts (
  symbol        TEXT    NOT NULL PRIMARY KEY,
  reason        TEXT    NOT NULL,
  since         BIGINT  NOT NULL,
  operator_name TEXT    NOT NULL
);

CREATE TABLE audit_log (
  id             BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at             BIGINT  NOT NULL,
  operator_name  TEXT    NOT NULL,
  remote_address TEXT    NOT NULL,
  action         TEXT    NOT NULL,
  target         TEXT    NOT NULL,
  detail         TEXT    NOT NULL,
  status         BIGINT  NOT NULL
);
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
)sql";

// Migration 9. Users an operator blocked from placing orders (the console's
// "block a user"). Stored as 0 / 1, like the other flags; the users already
// there are not blocked.
const char* const v9_sqlite = R"sql(
ALTER TABLE users ADD COLUMN trading_blocked INTEGER NOT NULL DEFAULT 0;
)sql";

const char* const v9_postgres = R"sql(
ALTER TABLE users ADD COLUMN trading_blocked BIGINT  NOT NULL DEFAULT 0;
)sql";

} // namespace

const std::vector<migration>& all_migrations() {
  // Append only; see migrations.hpp.
  static const std::vector<migration> list{
    {1, "initial schema", v1_sqlite, v1_postgres},
    {2, "order ids in placement order: append-only keys", v2_sqlite, v2_postgres},
    {3, "accounts store total cash; holds are derived", v3_sqlite, v3_postgres},
    {4, "one-minute candles", v4_sqlite, v4_postgres},
    {5, "price alerts", v5_sqlite, v5_postgres},
    {6, "double-entry journal, settlement, charges", v6_sqlite, v6_postgres},
    {7, "notifications and watchlists", v7_sqlite, v7_postgres},
    {8, "operators, their audit log, trading halts", v8_sqlite, v8_postgres},
    {9, "users blocked from trading", v9_sqlite, v9_postgres},
  };
  return list;
}

std::vector<const migration*> pending_migrations(const std::vector<migration>& all,
                                                 const std::vector<int>& applied) {
  int previous = 0;
  for (const migration& m : all) {
    if (m.version <= previous)
      throw store_error("migration list is not strictly increasing from 1 at version "
                        + std::to_string(m.version));
    previous = m.version;
  }
  auto known = [&all](int version) {
    return std::any_of(all.begin(), all.end(),
                       [version](const migration& m) { return m.version == version; });
  };
  for (int version : applied)
    if (!known(version))
      throw store_error("database has schema migration " + std::to_string(version)
                        + " which this build does not know (written by a newer build?)");

  std::vector<const migration*> pending;
  for (const migration& m : all)
    if (std::find(applied.begin(), applied.end(), m.version) == applied.end())
      pending.push_back(&m);
  return pending;
}

} // namespace broker
