#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server on 127.0.0.1 for the tests and prints its URL.
# Usage: eval "$(scripts/pg-test-server.sh start DIR)"  → exports KEFU_TEST_PG_URL
#        scripts/pg-test-server.sh stop DIR
# Installs PostgreSQL from Debian's packages when it is missing. Fails loudly: the store's
# conformance tests must run against a real server, never be skipped.
set -euo pipefail
cmd=${1:?start|stop}
dir=${2:?data directory}

pg_bin() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$d" ] && [ -x "$d/initdb" ] && echo "$d"
}

case "$cmd" in
start)
  bin=$(pg_bin || true)
  if [ -z "$bin" ]; then
    echo "installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    bin=$(pg_bin)
  fi
  rm -rf "$dir"
  mkdir -p "$dir"
  as=()
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$dir"
    as=(runuser -u postgres --)
  fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${as[@]}" "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 200
fsync = on
synchronous_commit = on
CONF
  "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "export KEFU_TEST_PG_URL=postgres://postgres@127.0.0.1:$port/postgres"
  ;;
stop)
  bin=$(pg_bin)
  as=()
  [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  [ -d "$dir/data" ] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
