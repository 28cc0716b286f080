#!/usr/bin/env bash
# pg-cluster.sh start|stop|kill|halt|restart DIR: a throwaway PostgreSQL 15
# cluster for tests.
#
#   start DIR  initdb into DIR/data (DIR must exist and be empty or new), start
#              the postmaster with its unix socket in DIR and TCP on 127.0.0.1
#              at a free port, create database "dp", and print its URL:
#              postgresql://dp@/dp?host=DIR&port=PORT
#   stop DIR   stop the postmaster (fast shutdown) and remove DIR.
#   kill DIR   crash it: SIGKILL to the postmaster and every process it
#              started, at once (an outage, or a power cut for the WAL);
#              DIR stays. Returns once they are all gone.
#   halt DIR   stop the postmaster (fast shutdown: sessions are ended with
#              57P01), keeping DIR.
#   restart DIR  start the postmaster again on the same port with the same
#              settings (after kill or halt; after kill crash recovery replays the WAL) and
#              wait until it accepts connections.
#
# PG_EXTRA_OPTS (start only) adds postgres -c settings, after the defaults
# (so -c fsync=off overrides fsync=on: the refusal test).
# fsync stays on (the server refuses fsync=off; SPEC §7 durability). initdb
# refuses to run as root: as root the cluster runs as the system user
# $DP_PG_USER (default dp-test-pg, created with useradd -r when missing),
# and DIR is handed to it. Binaries from $PG_BIN (default
# /usr/lib/postgresql/15/bin). The log is DIR/postgres.log. bench/run.sh
# sizes shared_buffers and max_connections for a benchmark through
# PG_EXTRA_OPTS.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_USER=${DP_PG_USER:-dp-test-pg}

usage() { echo "usage: $0 start|stop|kill|halt|restart DIR" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
cmd=$1
dir=$2

# Runs "$@" as the cluster's owner (from /: the caller's directory, e.g. a
# root-only mktemp -d clone in CI, may be closed to that user; paths are
# absolute).
as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    (cd / && runuser -u "$PG_USER" -- "$@")
  else
    "$@"
  fi
}

free_port() {
  local p
  for _ in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    # nothing listening there on TCP, and no socket file of another cluster
    if ! (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "no free port found" >&2
  return 1
}

case $cmd in
start)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [[ $(id -u) -eq 0 ]]; then
    id -u "$PG_USER" >/dev/null 2>&1 || \
      useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$PG_USER"
    chown "$PG_USER" "$dir"
    chmod 700 "$dir"
  fi
  as_owner "$PG_BIN/initdb" -D "$dir/data" -U dp --auth=trust --encoding=UTF8 \
    --locale=C.UTF-8 --no-instructions >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2; exit 1; }
  port=$(free_port)
  # small, quick to start; durable (fsync on, synchronous_commit on)
  opts="-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$dir \
        -c max_connections=100 -c shared_buffers=32MB -c fsync=on ${PG_EXTRA_OPTS:-}"
  printf '%s\n' "$port" >"$dir/port"
  printf '%s\n' "$opts" >"$dir/opts"
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "$opts" start >/dev/null || {
      cat "$dir/postgres.log" >&2; exit 1; }
  as_owner "$PG_BIN/createdb" -h "$dir" -p "$port" -U dp dp
  echo "postgresql://dp@/dp?host=$dir&port=$port"
  ;;
kill)
  dir=$(cd "$dir" && pwd)
  pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || { echo "not running" >&2; exit 1; }
  # the postmaster and its children (by parent pid: this cluster's only)
  pids="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
  kill -KILL $pids 2>/dev/null || true
  for _ in $(seq 1 100); do
    alive=0
    for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
    [[ $alive -eq 0 ]] && exit 0
    sleep 0.05
  done
  echo "cluster processes still alive after SIGKILL: $pids" >&2
  exit 1
  ;;
halt)
  dir=$(cd "$dir" && pwd)
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null
  ;;
restart)
  dir=$(cd "$dir" && pwd)
  [[ -f $dir/opts ]] || { echo "$dir/opts missing: not started by this script's start" >&2; exit 1; }
  as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "$(cat "$dir/opts")" start >/dev/null || {
      tail -n 30 "$dir/postgres.log" >&2; exit 1; }
  ;;
stop)
  [[ -d $dir ]] || exit 0
  dir=$(cd "$dir" && pwd)
  if [[ -f $dir/data/postmaster.pid ]]; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null || true
  fi
  rm -rf "$dir"
  ;;
*) usage ;;
esac
