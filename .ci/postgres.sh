#!/usr/bin/env bash
# A throwaway PostgreSQL server for the question-log tests: Debian's packages, a fresh
# cluster under a tmp folder, listening on 127.0.0.1 only, trust auth (nothing but this
# machine can reach it). Prints the SQLAlchemy URL on stdout; everything else goes to stderr.
#   url=$(bash .ci/postgres.sh)   # then QA_TEST_DATABASE_URL=$url
set -euo pipefail
DIR=${QA_PG_DIR:-/tmp/qa-postgres}
PORT=${QA_PG_PORT:-55432}
bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(bindir)" ]; then
  echo "==> installing postgresql (apt)" >&2
  apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
BIN=$(bindir)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ -f "$DIR/data/postmaster.pid" ]; then  # a server from an earlier run: stop it, start afresh
  as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >&2 || true
fi
rm -rf "$DIR" && mkdir -p "$DIR"
[ "$(id -u)" = 0 ] && chown postgres "$DIR"
as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-sync >/dev/null
# fsync off: a test database that a crash may lose; unix socket in the folder, not /run
as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off" start >&2
as_pg "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres qa_test
echo "postgresql+psycopg://postgres@127.0.0.1:$PORT/qa_test"
