/**
 * A restore or drill job to latest on one instance, for store and watchdog tests that need a job, not a plan.
 *
 * @example const job = sampleRestoreJob({ id: 'r-1', cluster, type: 'restore', now: T0 });
 */
import type { ClusterId } from '../../lib/domain/cluster.ts';
import type { Job } from '../../lib/domain/jobs/job.ts';
import { createRestoreJob, type RestoreJobType } from '../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';

export function sampleRestoreJob(input: {
  readonly id: string;
  readonly cluster: ClusterId;
  readonly type: RestoreJobType;
  readonly now: Date;
  readonly instanceId?: string;
}): Job {
  return createRestoreJob({
    id: input.id,
    cluster: input.cluster,
    type: input.type,
    now: input.now,
    request: {
      target: parseRestoreTarget({ to: 'latest' }),
      baseBackup: 'base_000000010000000000000004',
      timeline: 'latest',
      action: 'promote',
      host: { kind: 'instance', instanceId: input.instanceId ?? 'i-scratch' },
      inPlace: false,
      hostSettings: {
        target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
        pgData: '/var/lib/postgresql/15/main',
        osUser: 'postgres',
        service: { kind: 'systemd', unit: 'postgresql@15-main' },
        walgBinary: 'wal-g',
      },
      recoveryTimeoutSeconds: 600,
    },
  });
}
