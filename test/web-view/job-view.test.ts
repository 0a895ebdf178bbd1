/**
 * The web view's job table: one mapper for every job. Host commands show their state, host and outcome; restores
 * and drills their target, base backup and how they ended, with the restore's own status words.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterId, HostSettings } from '../../lib/domain/cluster.ts';
import { applyCommandStatus, type Job, newJob, restorePayload } from '../../lib/domain/jobs/job.ts';
import { createRestoreJob } from '../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { jobView } from '../../lib/web-view/job-view.ts';

const queued = newJob({
  id: 'job-1',
  cluster: 'demo' as ClusterId,
  type: 'backup-push',
  commandId: 'c-1',
  now: new Date('2026-11-20T10:00:00Z'),
  lock: 'backup',
});

describe('host jobs in the web view', () => {
  it('shows a queued backup-push with when it was created', () => {
    expect(jobView(queued)).toEqual({
      id: 'job-1',
      kind: 'backup-push',
      status: 'queued',
      startedAt: '2026-11-20T10:00:00.000Z',
    });
  });

  it('shows a finished backup-push with its host and the outcome the tracker recorded', () => {
    const invoked = applyCommandStatus(queued, {
      commandId: 'c-1',
      instanceId: 'i-local-demo',
      status: 'Success',
      at: new Date('2026-11-20T10:00:05Z'),
      exitCode: 0,
      stdoutTail: 'WALCAT_RESULT {"status":"success","script":"backup-push","data":null}\n',
      stderrTail: '',
    });
    const done = applyCommandStatus(invoked, {
      commandId: 'c-1',
      status: 'Success',
      at: new Date('2026-11-20T10:00:06Z'),
    });
    const view = jobView(done);
    expect(view).toMatchObject({ kind: 'backup-push', status: 'success', finishedAt: '2026-11-20T10:00:06.000Z' });
    expect(view.detail).toContain('on i-local-demo');
  });
});

const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:drill', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/drill',
  osUser: 'postgres',
  service: { kind: 'pg_ctl', binDir: '/usr/lib/postgresql/15/bin' },
  walgBinary: 'wal-g',
};

const drill = createRestoreJob({
  id: 'drill-1',
  cluster: 'orders-main' as ClusterId,
  type: 'drill',
  request: {
    target: parseRestoreTarget({ to: '2026-11-20T10:17:42Z' }),
    baseBackup: 'base_00000001000000000000000E',
    timeline: 1,
    action: 'promote',
    host: { kind: 'tag', tagKey: 'walcat:drill', tagValue: 'orders-main' },
    inPlace: false,
    hostSettings,
    recoveryTimeoutSeconds: 600,
  },
  now: new Date('2026-11-20T10:30:00Z'),
});

describe('restore jobs in the web view', () => {
  it('shows a running drill with its target and base backup', () => {
    expect(jobView(drill)).toEqual({
      id: 'drill-1',
      kind: 'drill',
      status: 'running',
      startedAt: '2026-11-20T10:30:00.000Z',
      detail: 'to 2026-11-20T10:17:42.000Z from base_00000001000000000000000E',
    });
  });

  it('shows how a finished job ended: the restore time and check, or the failed step', () => {
    const finishedAt = new Date('2026-11-20T10:33:10Z');
    const succeeded: Job = {
      ...drill,
      state: 'success',
      finishedAt,
      restore: {
        request: restorePayload(drill).request,
        outcome: { inRecovery: false, timeline: 2, restoreMs: 190_000, check: { passed: true, firstValue: '42' } },
      },
    };
    expect(jobView(succeeded)).toMatchObject({
      status: 'succeeded',
      finishedAt: '2026-11-20T10:33:10.000Z',
      detail: 'to 2026-11-20T10:17:42.000Z from base_00000001000000000000000E: ready in 3 min 10 s, check passed',
    });
    const failed: Job = {
      ...drill,
      state: 'failed',
      finishedAt,
      restore: {
        request: restorePayload(drill).request,
        failure: { step: 'fetch-backup', message: 'wal-g backup-fetch exited 1', at: finishedAt },
      },
    };
    expect(jobView(failed).detail).toBe(
      'to 2026-11-20T10:17:42.000Z from base_00000001000000000000000E: failed at fetch-backup: wal-g backup-fetch exited 1',
    );
  });
});
