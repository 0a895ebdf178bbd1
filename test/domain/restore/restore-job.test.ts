import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ClusterId, HostSettings } from '../../../lib/domain/cluster.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { commandStatusUpdateFromEvent } from '../../../lib/domain/jobs/command-status.ts';
import { type Job, jobToJson } from '../../../lib/domain/jobs/job.ts';
import {
  applyCommandUpdate,
  type CommandStatus,
  type CommandStatusUpdate,
  createRestoreJob,
  markStepDispatched,
  nextRestoreCommand,
  RestoreJobStateError,
  type RestoreRequest,
  resumeRestoreJob,
  scriptInput,
  stuckStep,
  timeOutStep,
} from '../../../lib/domain/restore/restore-job.ts';
import {
  buildRestoreStepScript,
  RESTORE_STEPS,
  type RestoreStepName,
} from '../../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { jobFromStoredJson } from '../../../lib/domain/restore/stored-restore-job.ts';

const cluster = 'orders-main' as ClusterId;
const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  walgEnvDir: '/etc/wal-g.d/env',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};
const request: RestoreRequest = {
  target: parseRestoreTarget({ to: '2026-11-20T14:30:00Z' }),
  baseBackup: 'base_000000010000000000000004',
  timeline: 1,
  action: 'promote',
  host: { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' },
  inPlace: false,
  hostSettings,
  pgVersion: 150004,
  requiredBytes: 24_000_000,
  recoveryTimeoutSeconds: 600,
};
const T0 = Date.parse('2026-11-20T14:31:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);

/** A sample EventBridge SSM status-change event from events/, as the orchestrator reads it. */
function eventUpdate(file: string, commandId?: string): CommandStatusUpdate {
  const event = JSON.parse(readFileSync(new URL(`../../../events/${file}`, import.meta.url), 'utf8'));
  const update = commandStatusUpdateFromEvent(event);
  return commandId === undefined ? update : { ...update, commandId };
}

const success = (data: unknown = null) =>
  `WALCAT_RESULT ${JSON.stringify({ status: 'success', script: 'restore', data })}\n`;

const verifyData = {
  inRecovery: false,
  timeline: 2,
  lastReplayTimestamp: '2026-11-20T14:29:58.120+00:00',
  serverVersion: 150004,
  archiveMode: 'off',
};

function newJob(overrides: Partial<RestoreRequest> = {}): Job {
  return createRestoreJob({
    id: 'r-1',
    cluster,
    type: 'restore',
    request: { ...request, ...overrides },
    now: at(0),
  });
}

/** Dispatches the next step as command `c-<step>-<attempt>` and returns the job. */
function dispatch(job: Job, second: number): { job: Job; commandId: string; step: RestoreStepName } {
  const next = nextRestoreCommand(job);
  if (!next) throw new Error('nothing to dispatch');
  const attempt = (job.steps.find((step) => step.name === next.step)?.attempts ?? 0) + 1;
  const commandId = `c-${next.step}-${attempt}`;
  return { job: markStepDispatched(job, next.step, commandId, at(second)), commandId, step: next.step };
}

/** Runs steps to success up to (not including) `stop`. */
function runUntil(stop: RestoreStepName | undefined, overrides: Partial<RestoreRequest> = {}): Job {
  let job = newJob(overrides);
  let second = 1;
  for (const name of RESTORE_STEPS) {
    if (name === stop) break;
    const sent = dispatch(job, second++);
    job = applyCommandUpdate(sent.job, {
      commandId: sent.commandId,
      status: 'Success',
      at: at(second++),
      stdoutTail: success(name === 'verify' ? verifyData : null),
    }).job;
  }
  return job;
}

describe('restore job: the happy path', () => {
  it('counts the thaw before the job in the restore time, and keeps it as its own figure', () => {
    let job = createRestoreJob({
      id: 'd-1',
      cluster,
      type: 'drill',
      request,
      now: at(0),
      thaw: { objects: 3, requested: 3, seconds: 5400 },
    });
    let second = 1;
    for (const name of RESTORE_STEPS) {
      const sent = dispatch(job, second++);
      job = applyCommandUpdate(sent.job, {
        commandId: sent.commandId,
        status: 'Success',
        at: at(second++),
        stdoutTail: success(name === 'verify' ? verifyData : null),
      }).job;
    }
    expect(job.state).toBe('success');
    expect(job.restore?.outcome?.thawMs).toBe(5_400_000);
    expect(job.restore?.outcome?.restoreMs).toBe(5_400_000 + (second - 1) * 1000);
    expect(jobFromStoredJson(jobToJson(job)).restore?.thaw).toEqual({ objects: 3, requested: 3, seconds: 5400 });
  });

  it('dispatches the steps in order, one at a time, and completes with the verified outcome', () => {
    let job = newJob();
    const order: string[] = [];
    let second = 1;
    for (const name of RESTORE_STEPS) {
      const sent = dispatch(job, second);
      order.push(sent.step);
      expect(nextRestoreCommand(sent.job)).toBeUndefined();
      second += 10;
      const result = applyCommandUpdate(sent.job, {
        commandId: sent.commandId,
        status: 'Success',
        at: at(second),
        stdoutTail: success(name === 'verify' ? verifyData : { step: name }),
      });
      job = result.job;
      expect(result.transition.kind).toBe(name === 'verify' ? 'completed' : 'step-succeeded');
      second += 1;
    }
    expect(order).toEqual([...RESTORE_STEPS]);
    expect(job.state).toBe('success');
    expect(job.restore?.outcome).toMatchObject({ timeline: 2, inRecovery: false, archiveMode: 'off' });
    expect(job.restore?.outcome?.restoreMs).toBe((second - 1) * 1000);
    expect(job.steps.every((step) => step.durationMs === 10_000)).toBe(true);
    expect(job.steps[0]?.result).toEqual({ step: 'preflight' });
  });

  it('builds every script before anything runs, refusing bad values', () => {
    expect(() => newJob({ hostSettings: { ...hostSettings, pgData: 'relative/path' } })).toThrow(InvalidInputError);
    expect(() => newJob({ extraSettings: { archive_mode: 'on' } })).toThrow('archive_mode');
    expect(() => newJob({ baseBackup: "base_1'; rm -rf /" })).toThrow(InvalidInputError);
  });
});

describe('restore job: resuming archiving after an in-place restore', () => {
  it('runs resume-archiving after verify and completes only when the new timeline is archived', () => {
    let job = newJob({ inPlace: true, resumeArchiving: true });
    expect(job.steps.map((step) => step.name)).toEqual([...RESTORE_STEPS, 'resume-archiving']);
    let second = 1;
    for (const name of [...RESTORE_STEPS, 'resume-archiving'] as const) {
      const sent = dispatch(job, second++);
      expect(sent.step).toBe(name);
      const data =
        name === 'verify'
          ? verifyData
          : name === 'resume-archiving'
            ? { timeline: 2, queued: 3, lastArchived: '000000020000000000000006' }
            : null;
      const result = applyCommandUpdate(sent.job, {
        commandId: sent.commandId,
        status: 'Success',
        at: at(second++),
        stdoutTail: success(data),
      });
      job = result.job;
      expect(result.transition.kind).toBe(name === 'resume-archiving' ? 'completed' : 'step-succeeded');
      if (name === 'verify') expect(job.state).toBe('running');
    }
    expect(job.state).toBe('success');
    expect(job.restore?.outcome).toMatchObject({
      timeline: 2,
      archiveMode: 'on',
      archiving: { timeline: 2, queued: 3, lastArchived: '000000020000000000000006' },
    });
    const script = buildRestoreStepScript('resume-archiving', scriptInput(job));
    expect(script).toContain("archive_mode = '\"'\"'on'\"'\"'");
    expect(script).toContain('archive_status/$walcat_name.ready');
    expect(script).toContain('pg_switch_wal()');
  });

  it('refuses --resume-archiving for a copy on another host or a paused restore', () => {
    expect(() => newJob({ resumeArchiving: true })).toThrow(/applies only to an in-place restore that promotes/);
    expect(() => newJob({ inPlace: true, resumeArchiving: true, action: 'pause' })).toThrow(
      /drop --resume-archiving or --pause/,
    );
    expect(newJob({ inPlace: true }).steps.map((step) => step.name)).toEqual([...RESTORE_STEPS]);
  });
});

describe('restore job: SSM status-change events from events/', () => {
  const commandId = '4b7f6a9e-2c1d-4e5f-8a9b-0c1d2e3f4a5b';
  const dispatched = () => markStepDispatched(runUntil('fetch-backup'), 'fetch-backup', commandId, at(100));
  const fetchStep = (job: Job) => job.steps.find((step) => step.name === 'fetch-backup');

  it('Pending then InProgress move the step forward and learn the instance id', () => {
    const pending = applyCommandUpdate(dispatched(), eventUpdate('ssm-restore-step-pending.json'));
    const running = applyCommandUpdate(pending.job, eventUpdate('ssm-restore-step-in-progress.json'));
    expect(running.transition.kind).toBe('progressed');
    expect(fetchStep(running.job)?.state).toBe('running');
    expect(running.job.host).toBe('i-0a1b2c3d4e5f60718');
  });

  it('a duplicate Success is a no-op: same job, no second dispatch', () => {
    const update = { ...eventUpdate('ssm-restore-step-success.json'), stdoutTail: success({ fetched: true }) };
    const first = applyCommandUpdate(dispatched(), update);
    expect(first.transition).toEqual({ kind: 'step-succeeded', step: 'fetch-backup' });
    const second = applyCommandUpdate(first.job, update);
    expect(second.transition.kind).toBe('ignored');
    expect(second.job).toBe(first.job);
    expect(nextRestoreCommand(second.job)?.step).toBe('configure-recovery');
  });

  it('out of order: InProgress or Pending after Success never regresses the step', () => {
    const done = applyCommandUpdate(dispatched(), {
      ...eventUpdate('ssm-restore-step-success.json'),
      stdoutTail: success(),
    }).job;
    for (const file of ['ssm-restore-step-in-progress.json', 'ssm-restore-step-pending.json']) {
      const late = applyCommandUpdate(done, eventUpdate(file));
      expect(late.transition.kind).toBe('ignored');
      expect(fetchStep(late.job)?.state).toBe('success');
    }
  });

  it('Pending after InProgress keeps the step running', () => {
    const running = applyCommandUpdate(dispatched(), eventUpdate('ssm-restore-step-in-progress.json')).job;
    const late = applyCommandUpdate(running, eventUpdate('ssm-restore-step-pending.json'));
    expect(fetchStep(late.job)?.state).toBe('running');
    expect(fetchStep(late.job)?.commandStatus).toBe('InProgress');
  });

  it('Failed stops the job with the stderr tail and names the fix', () => {
    const stderr = `${'noise\n'.repeat(40)}wal-g: failed to fetch base_000000010000000000000004: NoSuchKey\n`;
    const result = applyCommandUpdate(dispatched(), {
      ...eventUpdate('ssm-restore-step-failed.json'),
      stderrTail: stderr,
    });
    expect(result.transition.kind).toBe('failed');
    expect(result.job.state).toBe('failed');
    expect(result.job.restore?.failure?.step).toBe('fetch-backup');
    expect(result.job.restore?.failure?.message).toContain('NoSuchKey');
    expect(result.job.restore?.failure?.message).toContain('i-0a1b2c3d4e5f60718');
    // The object is gone from the bucket: no resume brings it back, so the message says what can.
    expect(result.job.restore?.failure?.message).toContain('a resume cannot help');
    expect(result.job.restore?.failure?.message).toContain('walcat restore plan');
    expect(result.job.restore?.failure?.message).not.toContain('then resume');
    expect(result.job.restore?.failure?.stderrTail?.split('\n')).toHaveLength(20);
    expect(nextRestoreCommand(result.job)).toBeUndefined();
  });

  it('a fetch failure that a retry can fix says to fix the cause and resume', () => {
    const result = applyCommandUpdate(dispatched(), {
      ...eventUpdate('ssm-restore-step-failed.json'),
      stderrTail: 'wal-g: failed to fetch: RequestTimeout: connection reset by peer\n',
    });
    expect(result.job.restore?.failure?.message).toContain('fix the cause, then resume the job');
  });

  it('TimedOut fails the step as timed out', () => {
    const result = applyCommandUpdate(dispatched(), eventUpdate('ssm-restore-step-timed-out.json'));
    expect(result.job.restore?.failure?.message).toContain('timed out');
  });

  it('an event of another command changes nothing', () => {
    const result = applyCommandUpdate(dispatched(), eventUpdate('ssm-restore-step-success.json', 'someone-else'));
    expect(result.transition).toEqual({ kind: 'ignored', why: 'command is not part of this job' });
  });

  it('a script that reports failure fails the step even when SSM says Success', () => {
    const stdout = 'WALCAT_RESULT {"status":"failed","script":"restore-fetch-backup","step":"prepare","exitCode":10}\n';
    const result = applyCommandUpdate(dispatched(), {
      ...eventUpdate('ssm-restore-step-success.json'),
      stdoutTail: stdout,
    });
    expect(result.job.restore?.failure?.message).toContain('prepare');
  });
});

describe('restore job: resume, watchdog, races', () => {
  function failedAtFetch(): Job {
    const sent = dispatch(runUntil('fetch-backup'), 100);
    return applyCommandUpdate(sent.job, {
      commandId: sent.commandId,
      status: 'Failed',
      at: at(110),
      stderrTail: 'boom',
    }).job;
  }

  it('resume re-runs only the failed step; late events of the failed attempt are ignored', () => {
    const resumed = resumeRestoreJob(failedAtFetch(), at(200));
    expect(resumed.state).toBe('running');
    expect(resumed.restore?.failure).toBeUndefined();
    const again = dispatch(resumed, 201);
    expect(again.step).toBe('fetch-backup');
    expect(again.commandId).toBe('c-fetch-backup-2');
    const late = applyCommandUpdate(again.job, { commandId: 'c-fetch-backup-1', status: 'Success', at: at(202) });
    expect(late.transition).toEqual({ kind: 'ignored', why: 'update for an earlier attempt' });
    expect(resumed.steps.filter((step) => step.state === 'success').map((step) => step.name)).toEqual([
      'preflight',
      'stop-postgres',
      'move-aside',
    ]);
  });

  it('refuses to resume a running job and to dispatch a step twice', () => {
    expect(() => resumeRestoreJob(newJob(), at(1))).toThrow(RestoreJobStateError);
    const sent = dispatch(newJob(), 1);
    expect(() => markStepDispatched(sent.job, 'preflight', 'c-other', at(2))).toThrow(RestoreJobStateError);
  });

  it('the watchdog finds a quiet step, and an overdue one is timed out', () => {
    const sent = dispatch(runUntil('stop-postgres'), 100);
    expect(stuckStep(sent.job, at(150), 60_000)).toBeUndefined();
    expect(stuckStep(sent.job, at(200), 60_000)).toMatchObject({ step: { name: 'stop-postgres' }, overdue: false });
    const overdue = stuckStep(sent.job, at(100 + 901), 60_000);
    expect(overdue?.overdue).toBe(true);
    const timedOut = timeOutStep(sent.job, at(1001));
    expect(timedOut.job.state).toBe('failed');
    expect(timedOut.job.restore?.failure?.message).toContain('timed out');
    expect(timedOut.job.restore?.failure?.stderrTail).toContain('watchdog');
  });

  it('the watchdog leaves finished jobs alone', () => {
    expect(stuckStep(runUntil(undefined), at(100_000), 1)).toBeUndefined();
  });
});

describe('restore job: verification', () => {
  function verifyWith(data: unknown, overrides: Partial<RestoreRequest> = {}) {
    const sent = dispatch(runUntil('verify', overrides), 100);
    return applyCommandUpdate(sent.job, {
      commandId: sent.commandId,
      status: 'Success',
      at: at(110),
      stdoutTail: success(data),
    });
  }

  it.each([
    [{ ...verifyData, timeline: 1 }, 'not on a new timeline'],
    [{ ...verifyData, inRecovery: true }, 'still in recovery'],
    [{ ...verifyData, lastReplayTimestamp: '2026-11-20T14:30:01+00:00' }, 'after the target'],
    [{ ...verifyData, archiveMode: 'on' }, 'archive_mode is on'],
    [{ ...verifyData, check: { passed: false, firstValueBase64: btoa('0') } }, 'the SQL check returned "0"'],
  ])('fails the job when verify reads %j', (data, why) => {
    const result = verifyWith(data);
    expect(result.job.state).toBe('failed');
    expect(result.job.restore?.failure?.message).toContain(why);
  });

  it('accepts a paused server when pause was asked for', () => {
    const result = verifyWith({ ...verifyData, inRecovery: true, timeline: 1 }, { action: 'pause' });
    expect(result.transition.kind).toBe('completed');
  });

  it('reports the decoded check value', () => {
    const result = verifyWith({ ...verifyData, check: { passed: true, firstValueBase64: btoa('42') } });
    expect(result.job.restore?.outcome?.check).toEqual({ passed: true, firstValue: '42' });
  });
});

describe('restore job: any order and duplication of one step events', () => {
  it('ends succeeded with exactly one step-succeeded transition, never regressing', () => {
    const statuses: CommandStatus[] = ['Pending', 'InProgress', 'Success'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...statuses), { minLength: 0, maxLength: 12 }),
        fc.nat({ max: 12 }),
        (noise, position) => {
          const sequence = [...noise];
          sequence.splice(Math.min(position, sequence.length), 0, 'Success');
          const sent = dispatch(newJob(), 1);
          const commandId = sent.commandId;
          let job = sent.job;
          let successes = 0;
          let sawSucceeded = false;
          sequence.forEach((status, index) => {
            const result = applyCommandUpdate(job, { commandId, status, at: at(2 + index), stdoutTail: success() });
            job = result.job;
            if (result.transition.kind === 'step-succeeded') successes++;
            const step = job.steps[0];
            if (sawSucceeded) expect(step?.state).toBe('success');
            sawSucceeded ||= step?.state === 'success';
          });
          expect(successes).toBe(1);
          expect(job.steps[0]?.state).toBe('success');
        },
      ),
    );
  });
});

describe('restore job JSON', () => {
  it('round-trips a finished job', () => {
    const job = runUntil(undefined, {
      target: parseRestoreTarget({ xid: '18446744073709551615' }),
      timeline: 'latest',
    });
    const json = JSON.parse(JSON.stringify(jobToJson(job)));
    expect(jobFromStoredJson(json)).toEqual(job);
  });
});
