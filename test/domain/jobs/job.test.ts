import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import type { CommandStatusUpdate } from '../../../lib/domain/jobs/command-status.ts';
import { commandStatusUpdateFromEvent } from '../../../lib/domain/jobs/command-status.ts';
import {
  applyCommandStatus,
  type Job,
  jobDurationSeconds,
  jobFromJson,
  jobToJson,
  newJob,
} from '../../../lib/domain/jobs/job.ts';
import { redactedTail } from '../../../lib/domain/jobs/output-tail.ts';
import { sampleRestoreJob } from '../../support/sample-restore-job.ts';

const T0 = new Date('2026-11-21T01:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);
const job = () =>
  newJob({
    id: 'job-1',
    cluster: 'orders-main' as ClusterId,
    type: 'backup-push',
    commandId: 'cmd-1',
    now: T0,
    lock: 'backup',
  });
const SUCCESS_OUT = 'WALCAT_RESULT {"status":"success","script":"backup-push","data":null}\n';
const SKIPPED_OUT =
  'WALCAT_RESULT {"status":"skipped","script":"backup-push","step":"skip-standby","reason":"standby"}\n';
const FAILED_OUT =
  'WALCAT_RESULT {"status":"failed","script":"backup-push","step":"backup-push","exitCode":12,"commandExitCode":1}\n';

/** A primary that pushes and a standby that skips, as the tracker sees them (terminal reports carry output). */
const happyRun: CommandStatusUpdate[] = [
  { commandId: 'cmd-1', status: 'InProgress', at: at(1) },
  { commandId: 'cmd-1', instanceId: 'i-primary', status: 'Pending', at: at(1) },
  { commandId: 'cmd-1', instanceId: 'i-standby', status: 'InProgress', at: at(2) },
  { commandId: 'cmd-1', instanceId: 'i-primary', status: 'InProgress', at: at(2) },
  {
    commandId: 'cmd-1',
    instanceId: 'i-standby',
    status: 'Success',
    at: at(3),
    exitCode: 0,
    stdoutTail: SKIPPED_OUT,
    stderrTail: '',
  },
  {
    commandId: 'cmd-1',
    instanceId: 'i-primary',
    status: 'Success',
    at: at(60),
    exitCode: 0,
    stdoutTail: SUCCESS_OUT,
    stderrTail: 'pushed\n',
  },
  { commandId: 'cmd-1', status: 'Success', at: at(61) },
];

const applyAll = (start: Job, updates: readonly CommandStatusUpdate[]) => updates.reduce(applyCommandStatus, start);

describe('jobs report truth', () => {
  it('while running: state running with the hosts it runs on, never queued without a host', () => {
    const running = applyAll(job(), happyRun.slice(0, 4));
    expect(running.state).toBe('running');
    expect(running.host).toBe('i-primary, i-standby');
    expect(running.startedAt).toEqual(at(1));
  });

  it('for any order of reports: the start is the earliest report past queued, the finish never before it', () => {
    fc.assert(
      fc.property(
        // The tracker applies the command's terminal report after its invocations' (track-command-status.ts).
        fc
          .shuffledSubarray(happyRun.slice(0, -1), { minLength: happyRun.length - 1, maxLength: happyRun.length - 1 })
          .map((order) => [...order, happyRun.at(-1) as CommandStatusUpdate]),
        fc.array(fc.integer({ min: -120, max: 120 }), { minLength: happyRun.length, maxLength: happyRun.length }),
        (order, skews) => {
          // Report times from different clocks (event time, host finish time) disagree by up to two minutes.
          const reports = order.map((update, index) => ({
            ...update,
            at: at(update.at.getTime() / 1000 - T0.getTime() / 1000 + (skews[index] ?? 0)),
          }));
          const end = applyAll(job(), reports);
          expect(end.state).toBe('success');
          const started = end.startedAt?.getTime() ?? Number.NaN;
          const finished = end.finishedAt?.getTime() ?? Number.NaN;
          expect(finished).toBeGreaterThanOrEqual(started);
          expect(jobDurationSeconds(end, at(0))).toBeGreaterThanOrEqual(0);
          const pastQueued = reports.filter((report) => report.status !== 'Pending').map((r) => r.at.getTime());
          expect(started).toBeGreaterThanOrEqual(Math.min(...pastQueued));
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('applyCommandStatus', () => {
  it('ends a backup in success on the primary when the standby skipped', () => {
    const end = applyAll(job(), happyRun);
    expect(end).toMatchObject({
      state: 'success',
      host: 'i-primary',
      outcome: 'backup-push succeeded on i-primary',
      startedAt: at(1),
      finishedAt: at(61),
      commandStatus: 'Success',
    });
    expect(end.invocations['i-standby']?.result).toEqual({
      status: 'skipped',
      script: 'backup-push',
      step: 'skip-standby',
      reason: 'standby',
    });
  });

  it('reaches the same end state for any order and duplication of the reports (terminal never regresses)', () => {
    const expected = applyAll(job(), happyRun);
    // The tracker applies a command-level terminal report together with every invocation read back from SSM
    // (track-command-status.ts), so that report travels as one batch; single reports come in any order.
    const commandEnd = happyRun.at(-1) as CommandStatusUpdate;
    const invocationEnds = happyRun.filter((update) => update.instanceId !== undefined && update.status === 'Success');
    const deliveries: CommandStatusUpdate[][] = [
      ...happyRun.slice(0, -1).map((update) => [update]),
      [...invocationEnds, commandEnd],
    ];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(deliveries, { minLength: deliveries.length }),
        fc.array(fc.nat(deliveries.length - 1), { maxLength: 6 }),
        (order, duplicates) => {
          const withDuplicates = [...order];
          for (const index of duplicates) withDuplicates.splice(index, 0, deliveries[index] as CommandStatusUpdate[]);
          const end = applyAll(job(), withDuplicates.flat());
          expect({ state: end.state, host: end.host, outcome: end.outcome, commandStatus: end.commandStatus }).toEqual({
            state: expected.state,
            host: expected.host,
            outcome: expected.outcome,
            commandStatus: expected.commandStatus,
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a failure on the primary ends the job at once with the host, the step and the redacted stderr tail', () => {
    const failed = applyAll(job(), [
      { commandId: 'cmd-1', instanceId: 'i-primary', status: 'InProgress', at: at(1) },
      {
        commandId: 'cmd-1',
        instanceId: 'i-primary',
        status: 'Failed',
        at: at(30),
        exitCode: 12,
        stdoutTail: FAILED_OUT,
        stderrTail: 'connecting with password=hunter2\nupload failed: AccessDenied\n',
      },
    ]);
    expect(failed).toMatchObject({ state: 'failed', host: 'i-primary', finishedAt: at(30) });
    expect(failed.outcome).toBe('backup-push failed on i-primary at step backup-push (exit 1)');
    expect(failed.stderrTail).toBe('connecting with password=[REDACTED]\nupload failed: AccessDenied\n');
    // Late reports cannot revive it.
    const later = applyAll(failed, [
      { commandId: 'cmd-1', instanceId: 'i-primary', status: 'InProgress', at: at(31) },
      { commandId: 'cmd-1', status: 'Success', at: at(40) },
    ]);
    expect(later).toBe(failed);
  });

  it('timed out, every host skipped, and a tag that matched no host', () => {
    expect(
      applyAll(job(), [{ commandId: 'cmd-1', instanceId: 'i-primary', status: 'TimedOut', at: at(9) }]).state,
    ).toBe('timed-out');
    const skipped = applyAll(job(), [
      { commandId: 'cmd-1', instanceId: 'i-a', status: 'Success', at: at(2), exitCode: 0, stdoutTail: SKIPPED_OUT },
      { commandId: 'cmd-1', status: 'Success', at: at(3) },
    ]);
    expect(skipped).toMatchObject({
      state: 'skipped',
      outcome: 'backup-push skipped on every host (standby): no primary answered',
    });
    expect(applyAll(job(), [{ commandId: 'cmd-1', status: 'Success', at: at(3) }])).toMatchObject({
      state: 'failed',
      outcome: expect.stringMatching(/no instance carries the target tag/u),
    });
  });

  it('ignores reports about other commands and round-trips through JSON', () => {
    const start = job();
    expect(applyCommandStatus(start, { commandId: 'other', status: 'Failed', at: at(1) })).toBe(start);
    const end = applyAll(start, happyRun);
    expect(jobFromJson(jobToJson(end))).toEqual(end);
  });

  it("reads a step's last event time back as a time, which the watchdog compares to find a quiet step", () => {
    const start = sampleRestoreJob({ id: 'r-1', cluster: 'orders-main' as ClusterId, type: 'restore', now: T0 });
    const heard = {
      ...start,
      steps: start.steps.map((step, index) => (index === 0 ? { ...step, lastEventAt: at(4) } : step)),
    };
    const read = jobFromJson(jobToJson(heard));
    expect(read.steps[0]?.lastEventAt).toBeInstanceOf(Date);
    expect(read.steps[0]?.lastEventAt?.getTime()).toBe(at(4).getTime());
  });
});

describe('commandStatusUpdateFromEvent', () => {
  it('reads invocation and command events and refuses other detail types', () => {
    expect(
      commandStatusUpdateFromEvent({
        'detail-type': 'EC2 Command Invocation Status-change Notification',
        time: '2026-11-21T01:07:43Z',
        detail: { 'command-id': 'c', 'instance-id': 'i-1', status: 'Failed' },
      }),
    ).toEqual({ commandId: 'c', instanceId: 'i-1', status: 'Failed', at: new Date('2026-11-21T01:07:43Z') });
    expect(
      commandStatusUpdateFromEvent({
        'detail-type': 'EC2 Command Status-change Notification',
        time: '2026-11-21T01:07:44Z',
        detail: { 'command-id': 'c', status: 'TimedOut' },
      }),
    ).toEqual({ commandId: 'c', status: 'TimedOut', at: new Date('2026-11-21T01:07:44Z') });
    expect(() => commandStatusUpdateFromEvent({ 'detail-type': 'Scheduled Event', detail: {} })).toThrow(
      /not a command status change/u,
    );
  });
});

describe('redactedTail', () => {
  it.each([
    ['AWS_SECRET_ACCESS_KEY=abc/def+ghi', 'AWS_SECRET_ACCESS_KEY=[REDACTED]'],
    ['key AKIAABCDEFGHIJKLMNOP used', 'key [REDACTED-AWS-KEY] used'],
    ['postgresql://walg:s3cret@db:5432/x', 'postgresql://walg:[REDACTED]@db:5432/x'],
    ["host=db password='a b' user=x", 'host=db password=[REDACTED] user=x'],
  ])('masks %s', (input, output) => {
    expect(redactedTail(input)).toBe(output);
  });

  it('keeps only the last bytes, starting at a line', () => {
    const text = Array.from({ length: 500 }, (_, i) => `line ${i}`).join('\n');
    const tail = redactedTail(text, 100);
    expect(Buffer.byteLength(tail)).toBeLessThanOrEqual(100);
    expect(tail.endsWith('line 499')).toBe(true);
    expect(tail.startsWith('line ')).toBe(true);
  });
});

describe('invocations whose output was not read yet', () => {
  it('a Success event without output keeps the job running until the output says who pushed', () => {
    const waiting = applyAll(job(), [
      { commandId: 'cmd-1', instanceId: 'i-standby', status: 'Success', at: at(3) },
      { commandId: 'cmd-1', status: 'Success', at: at(4) },
    ]);
    expect(waiting.state).toBe('running');
    const done = applyAll(waiting, [
      {
        commandId: 'cmd-1',
        instanceId: 'i-standby',
        status: 'Success',
        at: at(5),
        exitCode: 0,
        stdoutTail: SUCCESS_OUT,
      },
    ]);
    expect(done).toMatchObject({ state: 'success', host: 'i-standby' });
  });

  it('read output of a successful exit without a result line fails the job instead of passing it', () => {
    const end = applyAll(job(), [
      {
        commandId: 'cmd-1',
        instanceId: 'i-1',
        status: 'Success',
        at: at(3),
        exitCode: 0,
        stdoutTail: 'something else\n',
      },
    ]);
    expect(end).toMatchObject({
      state: 'failed',
      outcome: 'backup-push failed on i-1: the script printed no result line (exit 0)',
    });
  });
});
