import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { restoreStartCommand } from '../../lib/cli/commands/restore-start.ts';
import { InvalidInputError } from '../../lib/domain/errors.ts';
import type { ObjectThaw, ThawState } from '../../lib/ports/object-thaw.ts';
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

function context(options: Record<string, string | boolean>, json = true) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    config,
    clusters: config.clusters,
    json,
    options: { cluster: 'orders-main', to: '2026-11-20T10:30:00Z', instance: 'i-0a1b2c3d4e5f60718', ...options },
    positionals: [],
    now: minutes(200),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  };
  return { ctx, out, err };
}

/** Thawed as soon as asked. */
class InstantThaw implements ObjectThaw {
  readonly asked: string[] = [];
  async thawState(_bucket: string, key: string): Promise<ThawState> {
    return this.asked.includes(key) ? { state: 'readable' } : { state: 'frozen', storageClass: 'GLACIER' };
  }
  async requestThaw(_bucket: string, key: string): Promise<void> {
    this.asked.push(key);
  }
}

function deps(thaw: ObjectThaw) {
  const catalog = new FakeCatalog();
  catalog.segments = catalog.segments.map((segment) =>
    segment.segNo === 9 ? { ...segment, storageClass: 'GLACIER' } : segment,
  );
  const transport = new FakeTransport();
  const restore: RestoreDeps = {
    catalog: catalog.asStore(),
    jobs: new InMemoryJobStore(),
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: config.clusters,
    now: () => minutes(200),
    thaw,
    sleep: async () => {},
  };
  return { restore, transport };
}

describe('walcat restore start with frozen objects', () => {
  it('refuses without --thaw: exit 1, needs-thaw with the objects, nothing sent', async () => {
    const { restore, transport } = deps(new InstantThaw());
    const { ctx, out, err } = context({});
    expect(await restoreStartCommand({ restore: () => restore }).run(ctx)).toBe(1);
    expect(JSON.parse(out.join(''))).toMatchObject({
      reason: 'needs-thaw',
      thaw: { objects: 1, bytes: 1000, storageClasses: ['GLACIER'] },
    });
    expect(err.join('')).toContain('run walcat restore start again with --thaw');
    expect(transport.sent).toEqual([]);
  });

  it('with --thaw: thaws, then starts the job and reports the thaw', async () => {
    const thaw = new InstantThaw();
    const { restore, transport } = deps(thaw);
    const { ctx, out } = context({ thaw: true, 'thaw-tier': 'bulk', 'thaw-poll': '5' });
    expect(await restoreStartCommand({ restore: () => restore }).run(ctx)).toBe(0);
    expect(thaw.asked).toEqual(['wal_005/000000010000000000000009.lz4']);
    expect(JSON.parse(out.join(''))).toMatchObject({ status: 'running', thaw: { objects: 1 } });
    expect(transport.sent).toHaveLength(1);
  });

  it.each([
    [{ thaw: true, 'thaw-tier': 'Fast' }, /--thaw-tier "Fast" is not a retrieval tier/],
    [{ thaw: true, 'thaw-days': '0' }, /--thaw-days "0" is not a positive whole number/],
    [{ 'thaw-poll': '10' }, /--thaw-poll needs --thaw/],
  ])('refuses %o as a usage error', async (options, message) => {
    const { restore } = deps(new InstantThaw());
    const run = restoreStartCommand({ restore: () => restore }).run(context(options).ctx);
    await expect(run).rejects.toThrow(InvalidInputError);
    await expect(restoreStartCommand({ restore: () => restore }).run(context(options).ctx)).rejects.toThrow(message);
  });
});
