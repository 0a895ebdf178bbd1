import type { HostSettings } from '../cluster.ts';
import { buildHostScript } from './host-script.ts';

/** Name of the archiver probe script, reported in its result line. */
export const ARCHIVER_PROBE_SCRIPT = 'archiver-probe';

/**
 * One read-only query returning everything the probe needs as one JSON line. Times are rendered as ISO-8601 with
 * the offset; on a standby `pg_current_wal_lsn()` raises an error, so the replay position is reported instead.
 */
export const ARCHIVER_PROBE_SQL = `select json_build_object(
  'current_lsn', case when pg_is_in_recovery() then pg_last_wal_replay_lsn()::text else pg_current_wal_lsn()::text end,
  'last_archived_wal', a.last_archived_wal,
  'last_archived_time', to_char(a.last_archived_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'failed_count', a.failed_count,
  'last_failed_wal', a.last_failed_wal,
  'last_failed_time', to_char(a.last_failed_time at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
  'in_recovery', pg_is_in_recovery(),
  'timeline', (select timeline_id from pg_control_checkpoint()),
  'server_version_num', current_setting('server_version_num')::int,
  'stats_reset', to_char(a.stats_reset at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
) from pg_stat_archiver a`;

/**
 * The read-only archiver probe: one psql query as the OS user (through the WAL-G env dir, which holds
 * PGHOST/PGPORT), printed as the result data. Parse the result with `parseArchiverProbeData`.
 *
 * @example buildArchiverProbeScript(cluster.hosts) // ... walcat_var_probe=$(trap - ERR; walcat_psql -c 'select json_build_object(...
 */
export function buildArchiverProbeScript(host: HostSettings): string {
  return buildHostScript({
    name: ARCHIVER_PROBE_SCRIPT,
    host,
    steps: [{ kind: 'sql', name: 'read-archiver', sql: ARCHIVER_PROBE_SQL, captureAs: 'probe' }],
    resultFrom: 'probe',
  });
}
