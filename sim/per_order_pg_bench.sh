#!/usr/bin/env bash
# The per-order design of seed 002 ("pessimistic locking"), driven by pgbench
# against a real PostgreSQL: one transaction per order that locks the user's
# wallet row (SELECT ... FOR UPDATE), checks and moves the money (UPDATE) and
# records the order (INSERT). It is the baseline the broker's batched
# write-behind is compared with (issue #5); run it on the same machine and
# cluster settings as `order_bench --database-url`.
#
#   sim/per_order_pg_bench.sh [--url postgresql://user@host:port] [--clients C]
#                             [--seconds S] [--users U]
#
# Without --url it starts a throwaway cluster (tests/support/pg_cluster.sh) on
# port 25433 and removes it afterwards. Prints throughput and latency
# percentiles from pgbench's per-transaction log, and one JSON line with
# pgbench's own CPU (the application's side of this design) and the window
# its transactions ran in (Unix seconds), for reading the database's CPU
# over the same interval.
set -euo pipefail
cd "$(dirname "$0")/.."

url=""
clients=16
seconds=10
users=1000
while [ $# -gt 0 ]; do
  case "$1" in
    --url) url="$2"; shift 2 ;;
    --clients) clients="$2"; shift 2 ;;
    --seconds) seconds="$2"; shift 2 ;;
    --users) users="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/per_order_pg.XXXXXX)
chmod 755 "$work" # the cluster may run as the postgres user
cluster=""
cleanup() {
  if [ -n "$cluster" ]; then bash tests/support/pg_cluster.sh stop "$cluster" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
if [ -z "$url" ]; then
  cluster="$work/cluster"
  bash tests/support/pg_cluster.sh start "$cluster" 25433 >/dev/null
  url="postgresql://postgres@127.0.0.1:25433"
fi
db="per_order_$$"
psql_admin() { "$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$url/postgres" "$@"; }
psql_admin -c "CREATE DATABASE $db"
trap 'psql_admin -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; cleanup' EXIT

# The seed's schema (wallets, orders), money as DECIMAL as the seed has it.
"$pgbin/psql" -X -q -v ON_ERROR_STOP=1 "$url/$db" <<SQL
CREATE TABLE wallets (
  user_id BIGINT PRIMARY KEY,
  currency VARCHAR(3),
  balance DECIMAL(18, 4),
  locked_balance DECIMAL(18, 4),
  updated_at TIMESTAMP
);
CREATE TABLE orders (
  order_id BIGSERIAL PRIMARY KEY,
  user_id BIGINT,
  symbol VARCHAR(10),
  type VARCHAR(20),
  side VARCHAR(4),
  quantity INT,
  price DECIMAL(18, 4),
  status VARCHAR(20),
  exchange_order_id VARCHAR(50)
);
INSERT INTO wallets
  SELECT g, 'INR', 1000000000, 0, now() FROM generate_series(1, $users) g;
VACUUM ANALYZE wallets;
SQL

# One order: the same shape as order_bench's (a LIMIT BUY of 1 share that
# rests, so its cash is held), the seed's Q1 steps 1-6.
cat > "$work/place_order.sql" <<SQL
\set uid random(1, $users)
\set price random(100, 5000)
BEGIN;
SELECT balance >= :price AS enough FROM wallets WHERE user_id = :uid FOR UPDATE \gset
\if :enough
UPDATE wallets SET balance = balance - :price, locked_balance = locked_balance + :price,
  updated_at = now() WHERE user_id = :uid;
INSERT INTO orders (user_id, symbol, type, side, quantity, price, status)
  VALUES (:uid, 'RELIANCE', 'LIMIT', 'BUY', 1, :price, 'PENDING');
\endif
COMMIT;
SQL

threads=$(( clients < 2 ? clients : 2 ))
TIMEFORMAT="%3U %3S" # bash's time: pgbench's user and system CPU seconds
{ time (cd "$work" && "$pgbin/pgbench" -n -c "$clients" -j "$threads" -T "$seconds" \
   -f place_order.sql -l --log-prefix=tx "$url/$db" > pgbench.out 2>&1) ; } 2> "$work/cpu" || {
  cat "$work/pgbench.out" >&2; exit 1; }
app_cpu=$(awk '{printf "%.3f", $1 + $2}' "$work/cpu")

# Per-transaction log: client_id tx_no time_us script_no epoch epoch_us
# (the epoch columns: when the transaction ended).
cat "$work"/tx.* | awk '{print $3}' | sort -n > "$work/lat"
window=$(cat "$work"/tx.* | awk 'BEGIN {b = 1e18; e = 0}
  { end_s = $5 + $6 / 1e6; start_s = end_s - $3 / 1e6; if (start_s < b) b = start_s; if (end_s > e) e = end_s }
  END {printf "[%.6f,%.6f]", b, e}')
n=$(wc -l < "$work/lat")
pct() { awk -v n="$n" -v p="$1" 'NR == int((n - 1) * p) + 1 {printf "%.3f", $1 / 1000; exit}' "$work/lat"; }
tps=$(grep -Eo 'tps = [0-9.]+' "$work/pgbench.out" | head -1 | awk '{print $3}')
orders=$("$pgbin/psql" -X -qtA "$url/$db" -c "SELECT count(*) FROM orders")
p50=$(pct 0.50); p99=$(pct 0.99); p999=$(pct 0.999); max=$(tail -1 "$work/lat" | awk '{printf "%.3f", $1 / 1000}')
echo "per-order PostgreSQL design (seed 002): $clients clients, $seconds s, $users users"
echo "  transactions $n, orders inserted $orders, $tps tx/s"
echo "  latency p50 $p50 ms, p99 $p99 ms, p99.9 $p999 ms, max $max ms; pgbench CPU $app_cpu s"
echo "{\"bench\":\"per_order_pg\",\"clients\":$clients,\"seconds\":$seconds,\"users\":$users,\"tps\":$tps,\"transactions\":$n,\"orders\":$orders,\"p50_ms\":$p50,\"p99_ms\":$p99,\"p999_ms\":$p999,\"max_ms\":$max,\"app_cpu_s\":$app_cpu,\"window_unix_s\":$window}"
