/**
 * A restore or drill job to latest on one instance, for store and watchdog tests that need a job, not a plan.
 *
 * @example const job = sampleRestoreJob({ jobId: 'r-1', cluster, kind: 'restore', now: T0 });
 */
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { createRestoreJob, type RestoreJob, type RestoreJobKind } from '../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';

export function sampleRestoreJob(input: {
  readonly jobId: string;
  readonly cluster: ClusterId;
  readonly kind: RestoreJobKind;
  readonly now: Date;
  readonly instanceId?: string;
}): RestoreJob {
  return createRestoreJob({
    jobId: input.jobId,
    cluster: input.cluster,
    kind: input.kind,
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
