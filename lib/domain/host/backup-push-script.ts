import type { HostSettings } from '../cluster.ts';
import { buildHostScript, type ScriptStep } from './host-script.ts';
import { validateAbsolutePath } from './shell-quote.ts';

/** Name of the backup-push script, reported in its result line. */
export const BACKUP_PUSH_SCRIPT = 'backup-push';

/** The skip reason a standby reports. */
export const STANDBY_SKIP_REASON = 'standby';

export interface BackupPushOptions {
  /** `wal-g backup-push --permanent`: retention never deletes the backup. */
  readonly permanent?: boolean;
}

/**
 * The script that takes a base backup on the primary: it asks PostgreSQL `pg_is_in_recovery()` first and exits as
 * `skipped` (exit 0) on a standby, so one command can target the cluster's whole tag group; on the primary it runs
 * `wal-g backup-push <pgData> [--permanent]` as the OS user through the WAL-G env dir.
 *
 * @example
 * const script = buildBackupPushScript(cluster.hosts, { permanent: false });
 * // ... walcat_walg 'backup-push' '/var/lib/postgresql/15/main' >&2 ...
 */
export function buildBackupPushScript(host: HostSettings, options: BackupPushOptions = {}): string {
  const pgData = validateAbsolutePath('hosts.pgData', host.pgData);
  const steps: ScriptStep[] = [
    { kind: 'require-path', name: 'check-pgdata', path: pgData, type: 'directory' },
    { kind: 'sql', name: 'check-recovery', sql: 'select pg_is_in_recovery()', captureAs: 'in_recovery' },
    { kind: 'skip-if', name: 'skip-standby', variable: 'in_recovery', equals: 't', reason: STANDBY_SKIP_REASON },
    {
      kind: 'wal-g',
      name: 'backup-push',
      args: ['backup-push', pgData, ...(options.permanent === true ? ['--permanent'] : [])],
    },
  ];
  return buildHostScript({ name: BACKUP_PUSH_SCRIPT, host, steps });
}
