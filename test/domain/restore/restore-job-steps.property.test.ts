/**
 * The step state machine of restore and drill jobs under what EventBridge and the hosts really deliver: every
 * report of a step duplicated, in any order, mixed with late reports of other commands, and stamped by clocks
 * that disagree with the dispatcher's by up to ten minutes either way. Whatever arrives, a step's status never
 * moves backwards, durations are never negative, no step or job finishes before it started, and the job's last
 * update never goes back in time. After every step the job stored as JSON and read back is the same job.
 */

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterId, HostSettings } from '../../../lib/domain/cluster.ts';
import { type Job, type JobStep, jobToJson } from '../../../lib/domain/jobs/job.ts';
import {
  applyCommandUpdate,
  type CommandStatusUpdate,
  createRestoreJob,
  markStepDispatched,
  nextRestoreCommand,
  resumeRestoreJob,
} from '../../../lib/domain/restore/restore-job.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { jobFromStoredJson } from '../../../lib/domain/restore/stored-restore-job.ts';

const T0 = Date.parse('2026-11-20T09:00:00Z');
const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};
const VERIFY = {
  inRecovery: false,
  timeline: 2,
  lastReplayTimestamp: '2026-11-20T10:29:58+00:00',
  archiveMode: 'off',
};
const RANK: Record<JobStep['state'], number> = {
  pending: 0,
  queued: 1,
  running: 2,
  success: 3,
  skipped: 3,
  failed: 3,
  'timed-out': 3,
};

/** The job as the store writes and reads it back. */
const storedAndRead = (job: Job): Job => jobFromStoredJson(JSON.parse(JSON.stringify(jobToJson(job))));

function newJob(): Job {
  return createRestoreJob({
    id: 'r-prop',
    cluster: 'orders-main' as ClusterId,
    type: 'restore',
    now: new Date(T0),
    request: {
      target: parseRestoreTarget({ to: '2026-11-20T10:30:00Z' }),
      baseBackup: 'base_000000010000000000000004',
      timeline: 1,
      action: 'promote',
      host: { kind: 'instance', instanceId: 'i-1' },
      inPlace: false,
      hostSettings,
      recoveryTimeoutSeconds: 600,
    },
  });
}

/** What the host sends for one step: its reports, as the arbitrary shuffles, duplicates and skews them. */
interface StepRun {
  readonly fails: boolean;
  readonly runSeconds: number;
  /** Per report (pending, in progress, terminal): the reporting clock's offset from the dispatcher's, seconds. */
  readonly skews: readonly [number, number, number];
  /** Delivery order and duplicates of the three reports, plus late ones of the previous command. */
  readonly deliveries: readonly number[];
}

const stepRun: fc.Arbitrary<StepRun> = fc.record({
  fails: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  runSeconds: fc.integer({ min: 0, max: 900 }),
  skews: fc.tuple(
    fc.integer({ min: -600, max: 600 }),
    fc.integer({ min: -600, max: 600 }),
    fc.integer({ min: -600, max: 600 }),
  ),
  deliveries: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 8 }),
});

function invariants(before: Job, after: Job): void {
  for (const [index, step] of after.steps.entries()) {
    const previous = before.steps[index];
    if (previous && previous.commandId === step.commandId) {
      expect(RANK[step.state], `step ${step.name} moved back`).toBeGreaterThanOrEqual(RANK[previous.state]);
    }
    if (step.durationMs !== undefined) expect(step.durationMs).toBeGreaterThanOrEqual(0);
    if (step.finishedAt !== undefined && step.startedAt !== undefined) {
      expect(step.finishedAt.getTime(), `step ${step.name} finished before it was sent`).toBeGreaterThanOrEqual(
        step.startedAt.getTime(),
      );
    }
  }
  if (after.finishedAt !== undefined) {
    expect(after.finishedAt.getTime(), 'job finished before it was created').toBeGreaterThanOrEqual(
      after.createdAt.getTime(),
    );
  }
  if (after.restore?.outcome !== undefined) expect(after.restore?.outcome.restoreMs).toBeGreaterThanOrEqual(0);
  expect(after.lastUpdateAt.getTime()).toBeGreaterThanOrEqual(before.lastUpdateAt.getTime());
}

describe('restore job steps under duplicated, reordered and clock-skewed reports', () => {
  it('never move backwards, never finish before they started, never have negative durations', () => {
    fc.assert(
      fc.property(fc.array(stepRun, { minLength: 9, maxLength: 9 }), (runs) => {
        let job = newJob();
        let clock = T0;
        let previousCommand: string | undefined;
        for (const [index, run] of runs.entries()) {
          const next = nextRestoreCommand(job);
          if (next === undefined) break;
          const commandId = `cmd-${index}`;
          clock += 5_000;
          const dispatched = markStepDispatched(job, next.step, commandId, new Date(clock));
          invariants(job, dispatched);
          job = dispatched;
          const ends = clock + run.runSeconds * 1000;
          const data = next.step === 'verify' ? VERIFY : null;
          const reports: CommandStatusUpdate[] = [
            { commandId, instanceId: 'i-1', status: 'Pending', at: new Date(clock + run.skews[0] * 1000) },
            { commandId, instanceId: 'i-1', status: 'InProgress', at: new Date(clock + run.skews[1] * 1000) },
            {
              commandId,
              instanceId: 'i-1',
              status: run.fails ? 'Failed' : 'Success',
              at: new Date(ends + run.skews[2] * 1000),
              exitCode: run.fails ? 1 : 0,
              stdoutTail: run.fails
                ? ''
                : `WALCAT_RESULT ${JSON.stringify({ status: 'success', script: 'x', data })}\n`,
              stderrTail: run.fails ? 'boom' : '',
            },
            {
              commandId: previousCommand ?? 'cmd-unknown',
              instanceId: 'i-1',
              status: 'Success',
              at: new Date(clock - 60_000),
            },
          ];
          // Every report is delivered at least once, some more, in the order drawn.
          for (const which of [...run.deliveries, 0, 1, 2]) {
            const report = reports[which] as CommandStatusUpdate;
            const { job: after } = applyCommandUpdate(job, report);
            invariants(job, after);
            job = after;
          }
          expect(storedAndRead(job)).toEqual(job);
          clock = Math.max(clock, ends);
          previousCommand = commandId;
          if (job.state !== 'running') break;
        }
        // A resumed job has a pending step that keeps its earlier command: still the same job once stored and read.
        if (job.state === 'failed') {
          const resumed = resumeRestoreJob(job, new Date(clock + 1000));
          expect(storedAndRead(resumed)).toEqual(resumed);
        }
      }),
      { numRuns: 300 },
    );
  });
});
