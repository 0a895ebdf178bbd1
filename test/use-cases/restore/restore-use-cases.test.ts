import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../../lib/adapters/local/in-memory-job-store.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import type { Job } from '../../../lib/domain/jobs/job.ts';
import { scriptInput } from '../../../lib/domain/restore/restore-job.ts';
import { RestoreTargetUnreachableError } from '../../../lib/domain/restore/restore-plan.ts';
import { buildRestoreStepScript, RESTORE_STEPS } from '../../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { RestoreLockedError } from '../../../lib/ports/job-store.ts';
import { advanceRestore } from '../../../lib/use-cases/advance-restore.ts';
import { lastRestoreDrill } from '../../../lib/use-cases/last-restore-drill.ts';
import { reconcileJobs } from '../../../lib/use-cases/reconcile-stuck-jobs.ts';
import { lastDrillOfState, recordingLastDrill } from '../../../lib/use-cases/record-last-drill.ts';
import type { RestoreDeps } from '../../../lib/use-cases/restore-dependencies.ts';
import { runRestoreDrill } from '../../../lib/use-cases/run-restore-drill.ts';
import { resumeRestore, startRestore } from '../../../lib/use-cases/start-restore.ts';
import {
  cluster,
  FakeCatalog,
  FakeInstances,
  FakeTransport,
  minutes,
  RecordingNotifier,
  restoreConfig,
  VERIFY_DATA,
} from './restore-fixtures.ts';

function setup(start = minutes(200)) {
  const transport = new FakeTransport();
  const jobs = new InMemoryJobStore();
  const notifier = new RecordingNotifier();
  const catalog = new FakeCatalog();
  const instances = new FakeInstances();
  let now = start.getTime();
  const deps: RestoreDeps = {
    catalog: catalog.asStore(),
    jobs,
    transport,
    instances,
    notifier,
    clusters: restoreConfig().clusters,
    now: () => new Date(now),
  };
  transport.clock = deps.now;
  return { deps, transport, instances, jobs, notifier, catalog, advanceClock: (ms: number) => (now += ms) };
}

/** The one watchdog over the cluster's active jobs, as the job tracker's schedule runs it: what it did with restores. */
async function reconcileRestoreJobs(
  { deps, jobs }: Pick<ReturnType<typeof setup>, 'deps' | 'jobs'>,
  quietMs: number,
): Promise<unknown> {
  const clusters = deps.clusters;
  const report = await reconcileJobs(
    { jobs, transport: deps.transport, clusters, restore: deps },
    { clusters, now: deps.now(), restoreQuietMs: quietMs },
  );
  return report.restores;
}

const newHost = { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' } as const;
const target = parseRestoreTarget({ to: '2026-11-20T10:30:00Z' });

describe('startRestore', () => {
  it('plans, stores the job, sends preflight to the new host and tells Slack', async () => {
    const { deps, transport, jobs, notifier } = setup();
    const { job, plan } = await startRestore(deps, {
      cluster: cluster(),
      target,
      host: newHost,
      inPlace: false,
      jobId: 'r-1',
    });
    expect(plan.baseBackup.name).toBe('base_000000010000000000000008');
    expect(job.restore?.request).toMatchObject({
      baseBackup: plan.baseBackup.name,
      timeline: 1,
      pgVersion: 150004,
      requiredBytes: 40_000_000,
    });
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.targets).toEqual({ instanceIds: [newHost.instanceId] });
    expect(transport.sent[0]?.script).toContain('restore-preflight');
    expect((await jobs.getById(cluster().id, 'r-1'))?.steps[0]).toMatchObject({
      state: 'queued',
      commandId: 'cmd-1',
    });
    expect(notifier.messages[0]?.target.slackWebhookParameter).toBe('/walcat/slack/orders');
    expect(notifier.messages[0]?.message.text).toContain('started');
  });

  it('one restore per cluster at a time: a second is refused naming the running job, until the first ends', async () => {
    const { deps, transport } = setup();
    const start = (jobId: string) =>
      startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId });
    // Two starts racing: exactly one is accepted.
    const raced = await Promise.allSettled([start('r-1'), start('r-2')]);
    const accepted = raced.filter((outcome) => outcome.status === 'fulfilled');
    expect(accepted).toHaveLength(1);
    const refused = raced.find((outcome) => outcome.status === 'rejected') as PromiseRejectedResult;
    const running = accepted[0]?.status === 'fulfilled' ? accepted[0].value.job.id : '';
    expect(refused.reason).toBeInstanceOf(RestoreLockedError);
    expect((refused.reason as Error).message).toContain(`restore ${running} is still running`);
    expect((refused.reason as Error).message).toContain(`walcat restore status ${running}`);
    expect(transport.sent).toHaveLength(1);
    await expect(start('r-3')).rejects.toThrow(`restore ${running} is still running`);
    // The running restore fails (and is abandoned unless resumed): the lock is released.
    const commandId = transport.finish('Failed', null, 'wal-g: not found\n');
    await advanceRestore(deps, { commandId, status: 'Failed', at: deps.now() });
    expect(await deps.jobs.restoreLockHolder(cluster().id)).toBeUndefined();
    await start('r-4');
    // Resuming the failed one now would run next to r-4: refused, naming r-4.
    await expect(resumeRestore(deps, cluster(), running)).rejects.toThrow('restore r-4 is still running');
  });

  it('a lock left by a job that no longer runs is taken over, and drills do not take the restore lock', async () => {
    const { deps } = setup();
    await deps.jobs.acquireRestoreLock(cluster().id, 'r-gone');
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    expect(await deps.jobs.restoreLockHolder(cluster().id)).toBe('r-1');
    const drill = await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    expect(drill.kind).toBe('started');
    expect(await deps.jobs.restoreLockHolder(cluster().id)).toBe('r-1');
  });

  it('refuses an unreachable target before anything is stored or sent', async () => {
    const { deps, transport, jobs } = setup();
    await expect(
      startRestore(deps, {
        cluster: cluster(),
        target: parseRestoreTarget({ to: '2026-11-20T13:00:00Z' }),
        host: newHost,
        inPlace: false,
        jobId: 'r-2',
      }),
    ).rejects.toBeInstanceOf(RestoreTargetUnreachableError);
    expect(transport.sent).toHaveLength(0);
    expect(await jobs.list(cluster().id)).toEqual([]);
  });

  it.each([
    [{ inPlace: false }, 'name the host'],
    [{ inPlace: false, host: { kind: 'tag', tagKey: 'walcat:cluster', tagValue: 'orders-main' } }, 'needs --in-place'],
    [{ inPlace: true, host: { kind: 'tag', tagKey: 'walcat:scratch', tagValue: 'x' } }, 'drop --in-place'],
  ] as const)('refuses host %j: %s', async (request, message) => {
    const { deps } = setup();
    await expect(startRestore(deps, { cluster: cluster(), target, jobId: 'r-3', ...request })).rejects.toThrow(message);
  });

  it('restores in place onto the cluster own tag when asked explicitly', async () => {
    const { deps, transport } = setup();
    const { job } = await startRestore(deps, { cluster: cluster(), target, inPlace: true, jobId: 'r-4' });
    expect(job.restore?.request.host).toEqual({ kind: 'instance', instanceId: 'i-0primary0000000001' });
    expect(transport.sent[0]?.targets).toEqual({ instanceIds: ['i-0primary0000000001'] });
    expect(transport.sent[0]?.script).not.toContain('refusing to restore over a running primary');
  });

  it.each([
    [['i-0primary0000000001', 'i-0standby0000000001'], '2 managed instances carry the tag'],
    [[], '0 managed instances carry the tag'],
  ])('refuses a tag carried by %j: a restore runs on exactly one host', async (tagged, message) => {
    const { deps, transport, instances } = setup();
    instances.tags.set('walcat:cluster=orders-main', [...tagged]);
    await expect(startRestore(deps, { cluster: cluster(), target, inPlace: true, jobId: 'r-5' })).rejects.toThrow(
      message,
    );
    expect(transport.sent).toHaveLength(0);
  });
});

describe('advanceRestore', () => {
  it('runs every step on status events, reading output from the transport, and reports ready', async () => {
    const { deps, transport, notifier } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    for (const step of RESTORE_STEPS) {
      const commandId = transport.finish('Success', step === 'verify' ? VERIFY_DATA : null);
      const outcome = await advanceRestore(deps, { commandId, status: 'Success', at: deps.now() });
      expect(outcome.kind).toBe('applied');
    }
    const job = await deps.jobs.getById(cluster().id, 'r-1');
    expect(job?.state).toBe('success');
    expect(transport.sent.map((request) => request.comment.split(' ').at(-1))).toEqual([...RESTORE_STEPS]);
    expect(transport.sent.every((request) => 'instanceIds' in request.targets)).toBe(true);
    expect(notifier.messages.at(-1)?.message.text).toContain('is ready');
  });

  it('handles the same Success event delivered twice at once: the next step is sent once', async () => {
    const { deps, transport } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    const commandId = transport.finish('Success');
    const update = { commandId, status: 'Success', at: deps.now() } as const;
    const outcomes = await Promise.all([advanceRestore(deps, update), advanceRestore(deps, update)]);
    expect(outcomes.map((outcome) => outcome.transition?.kind).sort()).toEqual(['ignored', 'step-succeeded']);
    expect(transport.sent).toHaveLength(2);
  });

  it('ignores commands no restore job sent', async () => {
    const { deps } = setup();
    const looks: number[] = [];
    const quick = { ...deps, sleep: async (ms: number) => void looks.push(ms) };
    expect(await advanceRestore(quick, { commandId: 'backup-push-1', status: 'Success', at: deps.now() })).toEqual({
      kind: 'unknown-command',
    });
    // No timed second look: whoever sent a command looks at it once after storing it, so waiting here buys nothing.
    expect(looks).toEqual([]);
  });

  it('applies the end of a step that ended before the handler that sent it had stored its command id', async () => {
    const { deps, transport } = setup();
    const quick: RestoreDeps = { ...deps, sleep: () => new Promise((resolve) => setTimeout(resolve, 0)) };
    await startRestore(quick, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    const send = transport.send.bind(transport);
    let early: ReturnType<typeof advanceRestore> | undefined;
    // stop-postgres ends (and its event is handled) between the send and the save that records its command id.
    transport.send = async (request) => {
      const sent = await send(request);
      if (early === undefined) {
        transport.finish('Success');
        early = advanceRestore(quick, { commandId: sent.commandId, status: 'Success', at: deps.now() });
      }
      return sent;
    };
    await advanceRestore(quick, { commandId: transport.finish('Success'), status: 'Success', at: deps.now() });
    // The early event finds no job and is dropped without waiting; the dispatcher looking after its save applies the
    // end, so no step waits for the watchdog.
    expect(await early).toMatchObject({ kind: 'unknown-command' });
    const job = await deps.jobs.getById(cluster().id, 'r-1');
    expect(job?.steps.map((step) => step.state).slice(0, 3)).toEqual(['success', 'success', 'queued']);
  });

  it('a failed step stops the job, tells Slack with the stderr tail, and resume sends the same step again', async () => {
    const { deps, transport, notifier } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    const commandId = transport.finish('Failed', null, 'walcat: /var/lib/postgresql/15 has 10 bytes free\n');
    await advanceRestore(deps, { commandId, status: 'Failed', at: deps.now() });
    const failed = await deps.jobs.getById(cluster().id, 'r-1');
    expect(failed?.restore?.failure?.message).toContain('10 bytes free');
    expect(notifier.messages.at(-1)?.message.text).toContain('failed at step preflight');
    expect(JSON.stringify(notifier.messages.at(-1)?.message.blocks)).toContain('10 bytes free');
    const resumed = await resumeRestore(deps, cluster(), 'r-1');
    expect(resumed.steps[0]).toMatchObject({ state: 'queued', attempts: 2, commandId: 'cmd-2' });
    await expect(resumeRestore(deps, cluster(), 'r-unknown')).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('the watchdog (reconcileJobs) over restores', () => {
  it('polls a quiet step and applies its final status as if the event had arrived', async () => {
    const { deps, jobs, transport, advanceClock } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    transport.finish('Success');
    advanceClock(10 * 60_000);
    const outcome = await reconcileRestoreJobs({ deps, jobs }, 5 * 60_000);
    expect(outcome).toEqual({ polled: 1, timedOut: 0, advanced: 1 });
    expect((await deps.jobs.getById(cluster().id, 'r-1'))?.steps[1]?.state).toBe('queued');
  });

  it('leaves a quiet step that is still running and within its timeout', async () => {
    const { deps, jobs, advanceClock } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    advanceClock(6 * 60_000);
    expect(await reconcileRestoreJobs({ deps, jobs }, 5 * 60_000)).toEqual({
      polled: 1,
      timedOut: 0,
      advanced: 0,
    });
    expect((await deps.jobs.getById(cluster().id, 'r-1'))?.state).toBe('running');
  });

  it('fails an overdue step whose command never ended, and tells Slack', async () => {
    const { deps, jobs, advanceClock, notifier } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    advanceClock(11 * 60_000);
    expect(await reconcileRestoreJobs({ deps, jobs }, 5 * 60_000)).toEqual({
      polled: 1,
      timedOut: 1,
      advanced: 0,
    });
    const job = await deps.jobs.getById(cluster().id, 'r-1');
    expect(job?.restore?.failure?.message).toContain('timed out');
    expect(notifier.messages.at(-1)?.message.text).toContain('failed');
  });
});

/** What verify reports on a drill's copy beyond VERIFY_DATA: replayed past the 0/E000814 target, pg_amcheck clean. */
const DRILL_VERIFY = { lastReplayLsn: '0/E000900', amcheck: { status: 'passed', exitCode: 0 } };

describe('runRestoreDrill', () => {
  it('restores the newest backup to the random point of its range onto the scratch host, with the check', async () => {
    const { deps, transport } = setup();
    const outcome = await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    expect(outcome.kind).toBe('started');
    const job = outcome.kind === 'started' ? outcome.job : undefined;
    // Newest backup B is consistent at 0/8001028; its chain's last segment 20 starts at 0/14000000: halfway is 0/E000814.
    expect(job?.restore?.request.target).toEqual({ kind: 'lsn', lsn: 0xe000814n });
    expect(job?.restore?.request.baseBackup).toBe('base_000000010000000000000008');
    expect(job?.type).toBe('drill');
    expect(job?.restore?.request.host).toEqual({ kind: 'instance', instanceId: 'i-0scratch0000000001' });
    expect(job?.restore?.request.hostSettings.pgData).toBe('/var/lib/postgresql/15/drill');
    expect(job?.restore?.request.checkSql).toBe('select count(*) > 0 from orders');
    expect(transport.sent[0]?.script).toContain('.walcat-restore-*');
  });

  it('never starts the cluster own systemd unit: pg_ctl on drill.pgData, unless the drill names its own service', async () => {
    const { deps, transport } = setup();
    expect(cluster().hosts?.service).toEqual({ kind: 'systemd', unit: 'postgresql@15-main' });
    const outcome = await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    const job = outcome.kind === 'started' ? outcome.job : undefined;
    expect(job?.restore?.request.hostSettings.service).toEqual({
      kind: 'pg_ctl',
      binDir: '/usr/lib/postgresql/15/bin',
    });
    expect(job?.restore?.request.amcheck).toBe(true);
    for (const step of RESTORE_STEPS) {
      const script = buildRestoreStepScript(step, scriptInput(job as Job));
      expect(script).not.toContain('systemctl');
      expect(script).not.toContain('postgresql@15-main');
    }
    expect(transport.sent[0]?.script).not.toContain('systemctl');
    const own = cluster();
    const withOwn = {
      ...own,
      drill: {
        ...(own.drill as NonNullable<typeof own.drill>),
        service: { kind: 'systemd' as const, unit: 'postgresql@15-drill' },
        walgEnvDir: '/etc/wal-g.d/drill-env',
      },
    };
    const second = setup();
    const ownOutcome = await runRestoreDrill({ ...second.deps, random: () => 0.5, newJobId: () => 'd-2' }, withOwn);
    const ownJob = ownOutcome.kind === 'started' ? ownOutcome.job : undefined;
    expect(ownJob?.restore?.request.hostSettings.service).toEqual({ kind: 'systemd', unit: 'postgresql@15-drill' });
    expect(ownJob?.restore?.request.hostSettings.walgEnvDir).toBe('/etc/wal-g.d/drill-env');
  });

  it('a drill whose pg_amcheck finds corruption fails with every check outcome in the job and in Slack', async () => {
    const { deps, transport, advanceClock, notifier } = setup();
    await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    for (const step of RESTORE_STEPS) {
      advanceClock(1000);
      const commandId = transport.finish(
        'Success',
        step === 'verify'
          ? { ...VERIFY_DATA, lastReplayLsn: '0/E000900', amcheck: { status: 'failed', exitCode: 2 } }
          : null,
      );
      await advanceRestore(deps, { commandId, status: 'Success', at: deps.now() });
    }
    const [drill] = await deps.jobs.list(cluster().id, { types: ['drill'] });
    expect(drill?.state).toBe('failed');
    expect(drill?.restore?.failure?.message).toContain('pg_amcheck exited with 2');
    const summary = await lastRestoreDrill(deps.jobs, cluster().id, deps.now());
    expect(summary).toMatchObject({ status: 'failed', restoreSeconds: null });
    expect(summary?.checks).toEqual([
      { name: 'recovery', status: 'passed' },
      { name: 'timeline', status: 'passed' },
      { name: 'target', status: 'passed' },
      { name: 'archive-mode', status: 'passed' },
      { name: 'amcheck', status: 'failed' },
      { name: 'check-sql', status: 'passed' },
    ]);
    expect(
      notifier.messages
        .at(-1)
        ?.message.blocks?.map((b) => JSON.stringify(b))
        .join('\n'),
    ).toContain('amcheck failed (pg_amcheck exited with 2');
  });

  it('one drill at a time, and nothing to drill without a backup', async () => {
    const { deps, catalog } = setup();
    const drillDeps = { ...deps, random: () => 0.1, newJobId: () => 'd-1' };
    await runRestoreDrill(drillDeps, cluster());
    expect((await runRestoreDrill({ ...drillDeps, newJobId: () => 'd-2' }, cluster())).kind).toBe('skipped-running');
    const empty = setup();
    empty.catalog.backups = [];
    const outcome = await runRestoreDrill({ ...empty.deps, random: () => 0.1, newJobId: () => 'd-3' }, cluster());
    expect(outcome.kind).toBe('nothing-restorable');
    expect(catalog.backups).toHaveLength(2);
  });

  it('a finished drill records its restore time (RTO) and result in the job item', async () => {
    const { deps, transport, advanceClock } = setup();
    await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    for (const step of RESTORE_STEPS) {
      advanceClock(1000);
      const commandId = transport.finish(
        'Success',
        step === 'verify'
          ? { ...VERIFY_DATA, ...DRILL_VERIFY, lastReplayTimestamp: '2026-11-20T11:17:00+00:00' }
          : null,
      );
      await advanceRestore(deps, { commandId, status: 'Success', at: deps.now() });
    }
    const [drill] = await deps.jobs.list(cluster().id, { types: ['drill'] });
    expect(drill?.state).toBe('success');
    expect(drill?.restore?.outcome?.restoreMs).toBe(8000);
    expect(drill?.restore?.outcome?.check).toEqual({ passed: true, firstValue: 't' });
    expect(drill?.restore?.outcome?.checks?.map((check) => [check.name, check.status])).toEqual([
      ['recovery', 'passed'],
      ['timeline', 'passed'],
      ['target', 'passed'],
      ['archive-mode', 'passed'],
      ['amcheck', 'passed'],
      ['check-sql', 'passed'],
    ]);
  });

  it('a drill that replayed short of its LSN target fails the target check', async () => {
    const { deps, transport, advanceClock } = setup();
    await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    for (const step of RESTORE_STEPS) {
      advanceClock(1000);
      const commandId = transport.finish(
        'Success',
        step === 'verify' ? { ...VERIFY_DATA, ...DRILL_VERIFY, lastReplayLsn: '0/D000000' } : null,
      );
      await advanceRestore(deps, { commandId, status: 'Success', at: deps.now() });
    }
    const [drill] = await deps.jobs.list(cluster().id, { types: ['drill'] });
    expect(drill?.state).toBe('failed');
    expect(drill?.restore?.failure?.message).toContain('replay stopped at 0/D000000, before the target 0/E000814');
  });
});

describe('the last drill in the cluster state', () => {
  it('is written with every save of a drill, so status reads the same summary without querying the jobs', async () => {
    const { deps, transport, advanceClock } = setup();
    const states: unknown[] = [];
    const catalog = {
      ...deps.catalog,
      updateClusterState: async (_cluster: unknown, update: { lastDrill?: unknown }) => {
        states.push(update.lastDrill);
        return { cluster: cluster().id, version: states.length, lastDrill: update.lastDrill };
      },
    } as typeof deps.catalog;
    const recorded = { ...deps, jobs: recordingLastDrill(deps.jobs, catalog) };
    await runRestoreDrill({ ...recorded, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    expect(lastDrillOfState({ lastDrill: states.at(-1) }, deps.now())).toEqual(
      await lastRestoreDrill(deps.jobs, cluster().id, deps.now()),
    );
    for (const step of RESTORE_STEPS) {
      advanceClock(1500);
      const commandId = transport.finish('Success', step === 'verify' ? { ...VERIFY_DATA, ...DRILL_VERIFY } : null);
      await advanceRestore(recorded, { commandId, status: 'Success', at: deps.now() });
    }
    const fromState = lastDrillOfState({ lastDrill: JSON.parse(JSON.stringify(states.at(-1))) }, deps.now());
    expect(fromState).toMatchObject({ jobId: 'd-1', status: 'succeeded' });
    expect(fromState).toEqual(await lastRestoreDrill(deps.jobs, cluster().id, deps.now()));
    expect(lastDrillOfState({}, deps.now())).toBeUndefined();
  });
});

describe('lastRestoreDrill', () => {
  it('summarizes the newest drill for walcat status, with its measured restore time', async () => {
    const { deps, transport, advanceClock } = setup();
    expect(await lastRestoreDrill(deps.jobs, cluster().id, deps.now())).toBeUndefined();
    await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    for (const step of RESTORE_STEPS) {
      advanceClock(1500);
      const commandId = transport.finish(
        'Success',
        step === 'verify'
          ? { ...VERIFY_DATA, ...DRILL_VERIFY, lastReplayTimestamp: '2026-11-20T11:17:00+00:00' }
          : null,
      );
      await advanceRestore(deps, { commandId, status: 'Success', at: deps.now() });
    }
    advanceClock(60_000);
    expect(await lastRestoreDrill(deps.jobs, cluster().id, deps.now())).toEqual({
      jobId: 'd-1',
      status: 'succeeded',
      target: '0/E000814',
      baseBackup: 'base_000000010000000000000008',
      startedAt: '2026-11-20T12:20:00.000Z',
      finishedAt: '2026-11-20T12:20:12.000Z',
      restoreSeconds: 12,
      checks: [
        { name: 'recovery', status: 'passed' },
        { name: 'timeline', status: 'passed' },
        { name: 'target', status: 'passed' },
        { name: 'archive-mode', status: 'passed' },
        { name: 'amcheck', status: 'passed' },
        { name: 'check-sql', status: 'passed' },
      ],
      ageSeconds: 72,
    });
  });
});

describe("a new restore's first step whose end event is lost", () => {
  /** A transport whose first command has ended (with `status`) by the time SendCommand answers. */
  function endingAtOnce(transport: FakeTransport, status: 'Success' | 'Failed', data: unknown = null) {
    const send = transport.send.bind(transport);
    transport.send = async (request) => {
      const sent = await send(request);
      if (transport.sent.length === 1) transport.finish(status, data, status === 'Failed' ? 'walcat: no space\n' : '');
      return sent;
    };
  }

  it('is applied by the start itself, with no event, no watchdog and no wait', async () => {
    const { deps, transport } = setup();
    endingAtOnce(transport, 'Success');
    const waits: number[] = [];
    const started = await startRestore(
      { ...deps, sleep: async (ms: number) => void waits.push(ms) },
      { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' },
    );
    const job = await deps.jobs.getById(cluster().id, 'r-1');
    expect(job?.steps.map((step) => step.state).slice(0, 3)).toEqual(['success', 'queued', 'pending']);
    expect(started.job.steps[1]?.state).toBe('queued');
    expect(transport.sent).toHaveLength(2);
    expect(waits).toEqual([]);
  });

  it('tells Slack of the start before the failure of a first step that failed at once', async () => {
    const { deps, transport, notifier } = setup();
    endingAtOnce(transport, 'Failed');
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    expect((await deps.jobs.getById(cluster().id, 'r-1'))?.state).toBe('failed');
    const texts = notifier.messages.map((message) => message.message.text);
    expect(texts).toHaveLength(2);
    expect(texts[0]).not.toContain('failed');
    expect(texts[1]).toContain('failed at step preflight');
  });

  it('of a resumed job is applied by the resume', async () => {
    const { deps, transport } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    await advanceRestore(deps, { commandId: transport.finish('Failed'), status: 'Failed', at: deps.now() });
    const send = transport.send.bind(transport);
    transport.send = async (request) => {
      const sent = await send(request);
      if (transport.sent.length === 2) transport.finish('Success');
      return sent;
    };
    const resumed = await resumeRestore(deps, cluster(), 'r-1');
    expect(resumed.steps.map((step) => step.state).slice(0, 2)).toEqual(['success', 'queued']);
  });
});

describe('a step whose end event is lost', () => {
  it('is applied by the dispatcher looking after its save, with no event and no watchdog', async () => {
    const { deps, transport } = setup();
    await startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    const send = transport.send.bind(transport);
    let lost = false;
    // stop-postgres ends before its command id is stored, and its status event never reaches walcat.
    transport.send = async (request) => {
      const sent = await send(request);
      if (!lost) {
        lost = true;
        transport.finish('Success');
      }
      return sent;
    };
    await advanceRestore(deps, { commandId: transport.finish('Success'), status: 'Success', at: deps.now() });
    const job = await deps.jobs.getById(cluster().id, 'r-1');
    expect(job?.steps.map((step) => step.state).slice(0, 3)).toEqual(['success', 'success', 'queued']);
  });
});
