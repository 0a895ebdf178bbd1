#!/usr/bin/env bash
# Runs a real PostgreSQL 15 with WAL archiving and records the names PostgreSQL hands to archive_command, so the
# WAL-name tests use names a server produced rather than hand-written strings:
#   primary (timeline 1) -> WAL segments, pg_basebackup -> a .backup file, a streaming standby, failover
#   (primary stopped, standby promoted) -> 00000002.history and the old timeline's last segment as .partial,
#   then timeline 2 segments.
#
# Usage: scripts/capture-pg15-archive-names.sh [--segsize MIB] [--out FILE]
#   With no options: both 1 MiB and the default 16 MiB segments, into test/fixtures/pg15/archive-names-1mib.json
#   and test/fixtures/pg15/archive-names.json. Output shape:
#   { walSegmentSize, files: [names], historyFiles: {name: content}, backupFiles: {name: content}, notes }
# Needs PostgreSQL 15 in /usr/lib/postgresql/15/bin (or PG_BIN) and node. Run as root (uses runuser -u postgres)
# or as a user that may run initdb.
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
SEGSIZE=""
OUT=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --segsize) SEGSIZE="$2"; shift 2 ;;
    --out) OUT="$2"; shift 2 ;;
    *) echo "usage: $0 [--segsize MIB] [--out FILE]" >&2; exit 2 ;;
  esac
done

as_postgres() {
  if [[ "$(id -u)" == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Waits up to 30 s for a file to appear in the archive.
wait_for_archive() {
  local archive="$1" pattern="$2"
  for _ in $(seq 1 300); do
    if compgen -G "$archive/$pattern" >/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $pattern in $archive" >&2
  ls "$archive" >&2
  return 1
}

CURRENT_ROOT=""
# Stops whatever servers the current run started and removes its directory, also when a step fails (set -e).
cleanup() {
  if [[ -n "$CURRENT_ROOT" ]]; then
    for data in "$CURRENT_ROOT/standby" "$CURRENT_ROOT/primary"; do
      if [[ -f "$data/postmaster.pid" ]]; then as_postgres "$PG_BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true; fi
    done
    rm -rf "$CURRENT_ROOT"
    CURRENT_ROOT=""
  fi
}
trap cleanup EXIT

capture() {
  local segsize="$1" out="$2"
  local root
  root="$(mktemp -d "${TMPDIR:-/tmp}/walcat-pg15-names.XXXXXX")"
  chmod 0755 "$root"
  local archive="$root/archive" sock="$root/sock" primary="$root/primary" standby="$root/standby"
  mkdir -p "$archive" "$sock"
  if [[ "$(id -u)" == 0 ]]; then chown postgres:postgres "$root" "$archive" "$sock"; fi
  CURRENT_ROOT="$root"

  local psql_primary=(as_postgres "$PG_BIN/psql" -X -q -A -t -h "$sock" -p 5432 -U postgres -d postgres -v ON_ERROR_STOP=1)
  local psql_standby=(as_postgres "$PG_BIN/psql" -X -q -A -t -h "$sock" -p 5433 -U postgres -d postgres -v ON_ERROR_STOP=1)

  as_postgres "$PG_BIN/initdb" -D "$primary" -U postgres -A trust --no-sync --wal-segsize="$segsize" -E UTF8 \
    --locale=C.UTF-8 >/dev/null
  cat >>"$primary/postgresql.conf" <<EOF
port = 5432
listen_addresses = ''
unix_socket_directories = '$sock'
wal_level = replica
archive_mode = on
archive_command = 'test ! -f $archive/%f && cp %p $archive/%f'
fsync = off
synchronous_commit = off
full_page_writes = on
max_wal_senders = 4
wal_keep_size = 64MB
EOF
  as_postgres "$PG_BIN/pg_ctl" -D "$primary" -l "$root/primary.log" -w -t 60 start >/dev/null

  local switched
  switched="$("${psql_primary[@]}" -c "create table t (id int, note text); insert into t select g, 'before backup' from generate_series(1, 1000) g; select pg_walfile_name(pg_switch_wal());")"
  wait_for_archive "$archive" "$switched"

  # The backup doubles as the standby; pg_backup_stop writes the .backup history file into the archive.
  as_postgres "$PG_BIN/pg_basebackup" -h "$sock" -p 5432 -U postgres -D "$standby" -X stream -R -c fast --no-sync \
    >/dev/null 2>&1
  wait_for_archive "$archive" '*.backup'
  cat >>"$standby/postgresql.auto.conf" <<EOF
port = 5433
EOF
  as_postgres "$PG_BIN/pg_ctl" -D "$standby" -l "$root/standby.log" -w -t 60 start >/dev/null

  # WAL after the backup; the last write is left in an unfinished segment so the failover happens mid-segment.
  switched="$("${psql_primary[@]}" -c "insert into t select g, 'after backup' from generate_series(1, 1000) g; select pg_walfile_name(pg_switch_wal());")"
  wait_for_archive "$archive" "$switched"
  "${psql_primary[@]}" -c "insert into t select g, 'last on timeline 1' from generate_series(1, 100) g;" >/dev/null
  local primary_lsn
  primary_lsn="$("${psql_primary[@]}" -c 'select pg_current_wal_lsn()')"
  for _ in $(seq 1 300); do
    if [[ "$("${psql_standby[@]}" -c "select pg_last_wal_replay_lsn() >= '$primary_lsn'::pg_lsn")" == t ]]; then break; fi
    sleep 0.1
  done

  # Failover: the primary goes away, the standby is promoted to timeline 2.
  as_postgres "$PG_BIN/pg_ctl" -D "$primary" -m fast -w stop >/dev/null
  as_postgres "$PG_BIN/pg_ctl" -D "$standby" -w -t 60 promote >/dev/null
  wait_for_archive "$archive" '00000002.history'
  wait_for_archive "$archive" '*.partial'
  switched="$("${psql_standby[@]}" -c "insert into t select g, 'on timeline 2' from generate_series(1, 1000) g; select pg_walfile_name(pg_switch_wal());")"
  wait_for_archive "$archive" "$switched"
  as_postgres "$PG_BIN/pg_ctl" -D "$standby" -m fast -w stop >/dev/null

  mkdir -p "$(dirname "$out")"
  ARCHIVE="$archive" SEGSIZE_MIB="$segsize" PG_VERSION="$("$PG_BIN/postgres" --version)" node --input-type=module -e '
    import { readdirSync, readFileSync } from "node:fs";
    const archive = process.env.ARCHIVE;
    const files = readdirSync(archive).sort();
    const read = (suffix) => Object.fromEntries(files.filter((name) => name.endsWith(suffix)).map((name) => [name, readFileSync(`${archive}/${name}`, "utf8")]));
    const result = {
      walSegmentSize: `${process.env.SEGSIZE_MIB}MiB`,
      files,
      historyFiles: read(".history"),
      backupFiles: read(".backup"),
      notes: `${process.env.PG_VERSION}, initdb --wal-segsize=${process.env.SEGSIZE_MIB}; names as archive_command received them (%f). ` +
        "Timeline 1 primary, pg_basebackup (-X stream) -> .backup, streaming standby, primary stopped, standby promoted -> 00000002.history and the last timeline-1 segment as .partial, then timeline 2 segments. " +
        "Regenerate with scripts/capture-pg15-archive-names.sh.",
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  ' >"$out"
  cleanup
}

if [[ -n "$SEGSIZE" ]]; then
  capture "$SEGSIZE" "${OUT:-$REPO/test/fixtures/pg15/archive-names-${SEGSIZE}mib.json}"
else
  capture 1 "$REPO/test/fixtures/pg15/archive-names-1mib.json"
  capture 16 "$REPO/test/fixtures/pg15/archive-names.json"
fi
