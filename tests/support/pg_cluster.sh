#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the PostgreSQL store tests.
#
#   pg_cluster.sh start DIR PORT   initdb into DIR, serve on 127.0.0.1:PORT (unix socket in
#                                  DIR/socket), create database broker_test; superuser
#                                  "postgres", trust authentication: tests only.
#   pg_cluster.sh stop DIR         stop the server and remove DIR; nothing there is no error.
#
# initdb and postgres refuse to run as root, so as root (CI) the server runs as the
# "postgres" system user that Debian's postgresql-common package creates.
set -euo pipefail

usage() {
  echo "usage: $0 start DIR PORT | stop DIR" >&2
  exit 2
}

# The newest installed server version, e.g. /usr/lib/postgresql/15/bin.
find_bindir() {
  local newest
  newest=$(ls -1 /usr/lib/postgresql 2>/dev/null | sort -n | tail -n 1)
  if [ -z "$newest" ] || [ ! -x "/usr/lib/postgresql/$newest/bin/initdb" ]; then
    echo "pg_cluster: no PostgreSQL server under /usr/lib/postgresql (install 'postgresql')" >&2
    exit 1
  fi
  echo "/usr/lib/postgresql/$newest/bin"
}

# Runs a server binary as the cluster's owner.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

stop_cluster() {
  local dir=$1
  [ -e "$dir" ] || return 0
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin
    bin=$(find_bindir)
    # fast: roll back open transactions and disconnect; immediate if that hangs.
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m fast -w -t 30 >/dev/null 2>&1 \
      || as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate -w -t 30 >/dev/null 2>&1 \
      || true
  fi
  rm -rf "$dir"
}

start_cluster() {
  local dir=$1 port=$2
  local bin
  bin=$(find_bindir)
  # A cluster left behind by an interrupted run would hold the port: clear it first.
  stop_cluster "$dir"
  mkdir -p "$dir/socket"
  dir=$(cd "$dir" && pwd) # absolute: the server changes into its data directory
  # The server's unix socket path is limited to 107 bytes.
  if [ ${#dir} -gt 80 ]; then
    echo "pg_cluster: $dir is too long for a unix socket path" >&2
    exit 1
  fi
  if [ "$(id -u)" = 0 ]; then
    chown -R postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "pg_cluster: user postgres cannot reach $dir (a parent directory is not searchable)" >&2
      exit 1
    fi
  fi

  # --no-sync: only initdb's own fsyncs are skipped, the server runs with fsync on.
  if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C \
         --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
    echo "pg_cluster: initdb failed:" >&2
    cat "$dir/initdb.log" >&2
    exit 1
  fi
  cat >>"$dir/data/postgresql.conf" <<EOF
# pg_cluster.sh
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/socket'
fsync = on
synchronous_commit = on
max_connections = 50
shared_buffers = 32MB
logging_collector = off
EOF

  # A port in the kernel's ephemeral range can be held by any client socket of the
  # tests before (a TIME_WAIT lasts 60 s): say so, and retry while the bind is what fails.
  local low high
  read -r low high </proc/sys/net/ipv4/ip_local_port_range || true
  if [ -n "${low:-}" ] && [ "$port" -ge "$low" ] && [ "$port" -le "$high" ]; then
    echo "pg_cluster: note: port $port is in the ephemeral range $low-$high; a client socket may hold it" >&2
  fi
  local attempt started=0
  for attempt in $(seq 1 35); do
    rm -f "$dir/server.log"
    if as_owner "$bin/pg_ctl" start -D "$dir/data" -l "$dir/server.log" -w -t 30 >/dev/null 2>&1 \
       && as_owner "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -t 30; then
      started=1
      break
    fi
    as_owner "$bin/pg_ctl" stop -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    grep -q "Address already in use" "$dir/server.log" || break
    echo "pg_cluster: 127.0.0.1:$port is in use (attempt $attempt), retrying in 2 s" >&2
    sleep 2
  done
  if [ "$started" != 1 ]; then
    echo "pg_cluster: the server did not come up on 127.0.0.1:$port; its log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
  fi
  if ! as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres broker_test; then
    echo "pg_cluster: createdb broker_test failed; server log:" >&2
    cat "$dir/server.log" >&2 || true
    exit 1
  fi
  echo "pg_cluster: PostgreSQL $(basename "$(dirname "$bin")") ready on 127.0.0.1:$port, data in $dir"
}

case "${1:-}" in
  start) [ $# -eq 3 ] || usage; start_cluster "$2" "$3" ;;
  stop)  [ $# -eq 2 ] || usage; stop_cluster "$2" ;;
  *) usage ;;
esac
