#!/usr/bin/env bash
# A throwaway PostgreSQL cluster on 127.0.0.1 for the cohort gradebook tests.
#
#   export COURSE_TEST_PG_URL="$(.ci/postgres.sh)"     # start (or reuse) it; prints the db_url
#   .ci/postgres.sh stop                               # stop it (the data folder is kept)
#   .ci/postgres.sh destroy                            # stop it and delete the data folder
#
# Installs Debian's postgresql package when no server binaries are found (root only). The
# cluster runs as the postgres OS user when started by root (PostgreSQL refuses to run as
# root), listens on 127.0.0.1 only, uses trust authentication (a CI throwaway: never expose
# it), and has fsync off. Idempotent: a running cluster is reused. Only the URL goes to stdout.
# Settings: COURSE_PG_PORT (default 55432), COURSE_PG_DIR (default /tmp/course-pg-PORT).
set -euo pipefail

PORT="${COURSE_PG_PORT:-55432}"
DATA="${COURSE_PG_DIR:-/tmp/course-pg-$PORT}"
URL="postgresql://postgres@127.0.0.1:$PORT/postgres"
say() { echo "postgres.sh: $*" >&2; }

find_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
    if command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v pg_ctl)"; return 0; fi
    return 1
}

BIN="$(find_bin || true)"
if [ -z "$BIN" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        say "PostgreSQL is not installed and this is not root: sudo apt-get install postgresql"
        exit 1
    fi
    say "installing Debian's postgresql package ..."
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)" || { say "postgresql installed but pg_ctl not found"; exit 1; }
fi

if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres
    as_pg() { runuser -u postgres -- "$@"; }
else
    as_pg() { "$@"; }
fi

running() { as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

case "${1:-start}" in
    stop)
        if running; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2; fi
        exit 0 ;;
    destroy)
        if running; then as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2; fi
        rm -rf "$DATA"
        exit 0 ;;
    start) ;;
    *) say "usage: $0 [start|stop|destroy]"; exit 2 ;;
esac

if [ ! -f "$DATA/PG_VERSION" ]; then
    mkdir -p "$DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$DATA"
    chmod 700 "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --no-sync >/dev/null
    say "new cluster in $DATA"
fi
if ! running; then
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DATA -c fsync=off -c full_page_writes=off" \
        start >/dev/null || { say "the server did not start; see $DATA/server.log"; exit 1; }
    say "started on 127.0.0.1:$PORT"
fi
echo "$URL"
