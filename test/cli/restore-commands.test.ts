import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { jobsCommand } from '../../lib/cli/commands/jobs.ts';
import { restorePlanCommand } from '../../lib/cli/commands/restore-plan.ts';
import { restoreStartCommand } from '../../lib/cli/commands/restore-start.ts';
import { restoreStatusCommand } from '../../lib/cli/commands/restore-status.ts';
import { InvalidInputError } from '../../lib/domain/errors.ts';
import { InvalidRestoreTargetError } from '../../lib/domain/restore/restore-target.ts';
import type { JobStore } from '../../lib/ports/job-store.ts';
import { advanceRestore } from '../../lib/use-cases/advance-restore.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import {
  FakeCatalog,
  FakeInstances,
  FakeTransport,
  minutes,
  RecordingNotifier,
  restoreConfig,
} from '../use-cases/restore/restore-fixtures.ts';

const config = restoreConfig();

function context(
  options: Record<string, string | boolean | string[]> = {},
  extra: { json?: boolean; positionals?: string[] } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    config,
    clusters: config.clusters,
    json: extra.json ?? false,
    options,
    positionals: extra.positionals ?? [],
    now: minutes(200),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  };
  return { ctx, out, err };
}

function restoreDeps(): RestoreDeps & { transport: FakeTransport } {
  const transport = new FakeTransport();
  transport.clock = () => minutes(200);
  return {
    catalog: new FakeCatalog().asStore(),
    jobs: new InMemoryJobStore(),
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: config.clusters,
    now: () => minutes(200),
  };
}

describe('walcat restore plan', () => {
  const command = restorePlanCommand({ catalog: () => new FakeCatalog().asStore() });

  it('prints the contract JSON with --json', async () => {
    const { ctx, out } = context({ to: '2026-11-20T11:30:00+01:00' }, { json: true });
    expect(await command.run(ctx)).toBe(0);
    expect(out).toHaveLength(1);
    expect(JSON.parse(out[0] as string)).toMatchObject({
      cluster: 'orders-main',
      target: '2026-11-20T10:30:00.000Z',
      baseBackup: 'base_000000010000000000000008',
      timeline: 1,
      wal: { from: '000000010000000000000008', to: '000000010000000000000009', count: 2, bytes: 2000 },
    });
  });

  it('prints a readable plan by default', async () => {
    const { ctx, out } = context({ to: 'latest' });
    expect(await command.run(ctx)).toBe(0);
    expect(out.join('\n')).toContain('base backup  base_000000010000000000000008');
    expect(out.join('\n')).toContain('13 segments');
  });

  it('exits 1 for a target past the last WAL: the reason on stderr, { error } on stdout with --json', async () => {
    const { ctx, out, err } = context({ to: '2026-11-20T13:00:00Z' }, { json: true });
    expect(await command.run(ctx)).toBe(1);
    expect(err.join('\n')).toContain('recovery ended before configured recovery target was reached');
    const document = JSON.parse(out[0] as string);
    expect(document.error).toContain('2026-11-20T12:20:00.000Z');
    expect(document.reason).toBe('past-last-wal');
    expect(document.nearestRanges).toHaveLength(1);
  });

  it('refuses a zone-less time or two targets as usage errors (exit 2 through the CLI)', async () => {
    await expect(command.run(context({ to: '2026-11-20T10:30:00' }).ctx)).rejects.toBeInstanceOf(
      InvalidRestoreTargetError,
    );
    await expect(command.run(context({ to: 'latest', lsn: '0/1' }).ctx)).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe('walcat restore start and status', () => {
  it('starts on an instance, then shows the steps with durations; a failed job exits 1', async () => {
    const deps = restoreDeps();
    const start = restoreStartCommand({ restore: () => deps, random: () => 0 });
    const { ctx, out } = context({ to: '2026-11-20T10:30:00Z', instance: 'i-0a1b2c3d4e5f60718' }, { json: true });
    expect(await start.run(ctx)).toBe(0);
    const started = JSON.parse(out[0] as string);
    expect(started.jobId).toBe('r-20261120t122000z-000000');
    expect(started.steps[0]).toMatchObject({ step: 'preflight', status: 'dispatched', commandId: 'cmd-1' });

    const commandId = deps.transport.finish('Success');
    await advanceRestore(deps, { commandId, status: 'Success', at: minutes(200) });
    const failing = deps.transport.finish('Failed', null, 'pg_ctl: could not send stop signal\n');
    await advanceRestore(deps, { commandId: failing, status: 'Failed', at: minutes(200) });

    const status = restoreStatusCommand({ jobs: () => deps.jobs });
    const human = context({}, { positionals: [started.jobId] });
    expect(await status.run(human.ctx)).toBe(1);
    const text = human.out.join('\n');
    expect(text).toMatch(/preflight\s+succeeded\s+0 ms/);
    expect(text).toMatch(/stop-postgres\s+failed/);
    expect(text).toContain('could not send stop signal');
    const json = context({}, { json: true, positionals: [started.jobId] });
    expect(await status.run(json.ctx)).toBe(1);
    expect(JSON.parse(json.out[0] as string)).toMatchObject({ status: 'failed', failure: { step: 'stop-postgres' } });

    const resume = context({ resume: started.jobId }, { json: true });
    expect(await start.run(resume.ctx)).toBe(0);
    expect(JSON.parse(resume.out[0] as string).steps[1]).toMatchObject({ status: 'dispatched', attempts: 2 });
  });

  it('--setting name=value (repeatable) reaches the restored copy; a malformed one is refused', async () => {
    const deps = restoreDeps();
    const start = restoreStartCommand({ restore: () => deps, random: () => 0 });
    const { ctx, out } = context(
      {
        to: '2026-11-20T10:30:00Z',
        instance: 'i-0a1b2c3d4e5f60718',
        setting: ['port=6543', 'shared_buffers=64MB'],
      },
      { json: true },
    );
    expect(await start.run(ctx)).toBe(0);
    const job = await deps.jobs.getById(config.clusters[0]?.id as never, JSON.parse(out[0] as string).jobId);
    expect(job?.restore?.request.extraSettings).toEqual({ port: '6543', shared_buffers: '64MB' });
    const bad = context({ to: '2026-11-20T10:30:00Z', instance: 'i-0a1b2c3d4e5f60718', setting: ['port'] });
    await expect(start.run(bad.ctx)).rejects.toThrow(/--setting "port" is not name=value/);
  });

  it('walcat jobs lists restores with the same columns as host jobs: status, host, real times, never negative', async () => {
    const deps = restoreDeps();
    const start = restoreStartCommand({ restore: () => deps, random: () => 0 });
    const started = context({ to: '2026-11-20T10:30:00Z', instance: 'i-0a1b2c3d4e5f60718' }, { json: true });
    expect(await start.run(started.ctx)).toBe(0);
    const jobId = JSON.parse(started.out[0] as string).jobId;
    const jobs = jobsCommand({ jobs: () => deps.jobs });
    const running = context({}, { json: true });
    expect(await jobs.run(running.ctx)).toBe(0);
    expect(JSON.parse(running.out[0] as string)).toEqual([
      expect.objectContaining({
        jobId,
        cluster: 'orders-main',
        type: 'restore',
        status: 'running',
        host: 'i-0a1b2c3d4e5f60718',
        startedAt: minutes(200).toISOString(),
        finishedAt: null,
        durationSeconds: 0,
        outcome: null,
      }),
    ]);
    // The step's end is reported with a time before the job was created (another clock): never a negative duration.
    const failing = deps.transport.finish('Failed', null, 'wal-g: not found\n');
    await advanceRestore(deps, { commandId: failing, status: 'Failed', at: minutes(199) });
    const ended = context({}, { json: true });
    await jobs.run(ended.ctx);
    const [row] = JSON.parse(ended.out[0] as string);
    expect(row).toMatchObject({ status: 'failed', outcome: 'failed at preflight', durationSeconds: 0 });
    expect(Date.parse(row.finishedAt)).toBeGreaterThanOrEqual(Date.parse(row.startedAt));
    const table = context({});
    await jobs.run(table.ctx);
    expect(table.out[0]).toMatch(
      new RegExp(`orders-main\\s+${jobId}\\s+restore\\s+failed\\s+i-0a1b2c3d4e5f60718`, 'u'),
    );
  });

  it('refuses to start without a host or with a bad host tag, and status of an unknown job', async () => {
    const start = restoreStartCommand({ restore: () => restoreDeps() });
    await expect(start.run(context({ to: 'latest' }).ctx)).rejects.toThrow('--in-place');
    await expect(start.run(context({ to: 'latest', 'host-tag': 'novalue' }).ctx)).rejects.toThrow('key=value');
    const status = restoreStatusCommand({ jobs: () => new InMemoryJobStore() });
    await expect(status.run(context({}, { positionals: ['r-nope'] }).ctx)).rejects.toThrow('no restore job');
  });

  it('exits 1 with the reason when the target is unreachable', async () => {
    const start = restoreStartCommand({ restore: () => restoreDeps() });
    const { ctx, out, err } = context({ to: '2026-11-21T00:00:00Z', instance: 'i-0a1b2c3d4e5f60718' }, { json: true });
    expect(await start.run(ctx)).toBe(1);
    expect(err.join('')).toContain('restore refused');
    expect(JSON.parse(out[0] as string).reason).toBe('past-last-wal');
  });
});
