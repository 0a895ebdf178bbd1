import { describe, expect, it } from 'vitest';
import { restorePlanToJson } from '../../../lib/domain/restore/restore-plan.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { ThawRequiredError } from '../../../lib/domain/restore/restore-thaw.ts';
import type { ObjectThaw, ThawState } from '../../../lib/ports/object-thaw.ts';
import { planClusterRestore } from '../../../lib/use-cases/plan-restore.ts';
import { runRestoreDrill } from '../../../lib/use-cases/run-restore-drill.ts';
import { startRestore } from '../../../lib/use-cases/start-restore.ts';
import {
  cluster,
  FakeCatalog,
  FROZEN_PART,
  frozenCatalog,
  minutes,
  restoreConfig,
  thawingRestoreSetup,
} from './restore-fixtures.ts';

const target = parseRestoreTarget({ to: '2026-11-20T10:30:00Z' });
const newHost = { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' } as const;

/** S3 as the thaw sees it: frozen until asked, then thawing for `pollsToThaw` looks, then readable. */
class FakeThaw implements ObjectThaw {
  readonly requests: string[] = [];
  readonly looks = new Map<string, number>();
  constructor(private readonly pollsToThaw: number) {}
  async thawState(_bucket: string, key: string): Promise<ThawState> {
    if (!this.requests.includes(key)) return { state: 'frozen', storageClass: 'GLACIER' };
    const looks = (this.looks.get(key) ?? 0) + 1;
    this.looks.set(key, looks);
    return looks > this.pollsToThaw ? { state: 'readable' } : { state: 'thawing' };
  }
  async requestThaw(_bucket: string, key: string): Promise<void> {
    this.requests.push(key);
  }
}

/** The frozen catalog of these tests: backup B's tar partition is 5 MB. */
const frozen = (thawedUntil?: Date) => frozenCatalog({ partSize: 5_000_000, ...(thawedUntil ? { thawedUntil } : {}) });
const setup = (catalog: FakeCatalog, thaw?: ObjectThaw) =>
  thawingRestoreSetup(catalog, { clusters: restoreConfig().clusters, ...(thaw ? { thaw } : {}) });

describe('restore plans that read frozen objects', () => {
  it('names the frozen objects, their bytes and classes, and the slowest class retrieval tiers', async () => {
    const plan = await planClusterRestore({ catalog: frozen().asStore() }, cluster(), target, minutes(200));
    expect(plan.thaw?.objects.map((object) => [object.key, object.storageClass])).toEqual([
      [`orders-main/basebackups_005/base_000000010000000000000008/${FROZEN_PART}`, 'DEEP_ARCHIVE'],
      ['wal_005/000000010000000000000008.lz4', 'GLACIER'],
      ['wal_005/000000010000000000000009.lz4', 'GLACIER'],
    ]);
    const json = restorePlanToJson(plan, cluster().walSegmentSize);
    expect(json.thaw).toEqual({
      objects: 3,
      bytes: 5_002_000,
      storageClasses: ['DEEP_ARCHIVE', 'GLACIER'],
      retrieval: [
        { tier: 'Standard', hours: 12, words: 'within 12 hours' },
        { tier: 'Bulk', hours: 48, words: 'within 48 hours' },
      ],
    });
    expect(plan.reasons.at(-1)).toContain('3 objects (4.8 MiB) in DEEP_ARCHIVE, GLACIER need a thaw first');
  });

  it('is null when every object reads directly, or a thawed copy is still readable', async () => {
    const plain = await planClusterRestore({ catalog: new FakeCatalog().asStore() }, cluster(), target, minutes(200));
    expect(restorePlanToJson(plain, cluster().walSegmentSize).thaw).toBeNull();
    const thawed = await planClusterRestore(
      { catalog: frozen(minutes(300)).asStore() },
      cluster(),
      target,
      minutes(200),
    );
    expect(thawed.thaw?.objects.map((object) => object.key)).not.toContain('wal_005/000000010000000000000009.lz4');
    const expired = await planClusterRestore(
      { catalog: frozen(minutes(100)).asStore() },
      cluster(),
      target,
      minutes(200),
    );
    expect(expired.thaw?.objects.map((object) => object.key)).toContain('wal_005/000000010000000000000009.lz4');
  });

  it('refuses restore start without the thaw, naming the objects and the fix, and sends nothing', async () => {
    const { deps, transport, jobs } = setup(frozen(), new FakeThaw(0));
    const start = startRestore(deps, { cluster: cluster(), target, host: newHost, inPlace: false, jobId: 'r-1' });
    await expect(start).rejects.toThrow(ThawRequiredError);
    await expect(start).rejects.toThrow(/3 objects .* need a thaw first.*--thaw/);
    expect(transport.sent).toEqual([]);
    expect(await jobs.getById(cluster().id, 'r-1')).toBeUndefined();
  });

  it('with the thaw: asks S3 once per frozen object, waits until all are readable, then starts the job', async () => {
    const thaw = new FakeThaw(2);
    const { deps, transport } = setup(frozen(), thaw);
    const progress: number[] = [];
    const started = await startRestore(deps, {
      cluster: cluster(),
      target,
      host: newHost,
      inPlace: false,
      jobId: 'r-2',
      thaw: { tier: 'Standard', days: 3, pollSeconds: 600, onProgress: ({ pending }) => progress.push(pending) },
    });
    expect(thaw.requests).toHaveLength(3);
    expect(new Set(thaw.requests).size).toBe(3);
    expect(progress).toEqual([3, 3, 3, 0]);
    expect(started.thawed).toEqual({ requested: 3, objects: 3, seconds: 1800 });
    expect(transport.sent).toHaveLength(1);
    expect(started.job.createdAt).toEqual(new Date(minutes(200).getTime() + 1_800_000));
  });

  it('refuses Expedited for DEEP_ARCHIVE before asking S3 for anything', async () => {
    const thaw = new FakeThaw(0);
    const { deps } = setup(frozen(), thaw);
    await expect(
      startRestore(deps, {
        cluster: cluster(),
        target,
        host: newHost,
        inPlace: false,
        jobId: 'r-3',
        thaw: { tier: 'Expedited', days: 1, pollSeconds: 1 },
      }),
    ).rejects.toThrow(/no Expedited retrieval for DEEP_ARCHIVE/);
    expect(thaw.requests).toEqual([]);
  });

  it('a door that cannot wait hours (the deployed scheduled drill) refuses, naming walcat drill, and asks S3 nothing', async () => {
    const thaw = new FakeThaw(0);
    const { deps, transport } = setup(frozen(), thaw);
    const outcome = await runRestoreDrill(
      { ...deps, random: () => 0.5, newJobId: () => 'd-2', waitForThaw: false },
      cluster(),
    );
    expect(outcome).toMatchObject({
      kind: 'needs-thaw',
      reason: expect.stringContaining('run walcat drill --cluster orders-main, which thaws them through Standard'),
    });
    expect(thaw.requests).toEqual([]);
    expect(transport.sent).toEqual([]);
  });

  it('a scheduled drill whose plan reads frozen objects thaws them first (the default drill thaw) and starts', async () => {
    const thaw = new FakeThaw(1);
    const { deps, transport } = setup(frozen(), thaw);
    const outcome = await runRestoreDrill({ ...deps, random: () => 0.5, newJobId: () => 'd-1' }, cluster());
    expect(outcome.kind).toBe('started');
    expect(new Set(thaw.requests).size).toBe(thaw.requests.length);
    expect(thaw.requests.length).toBeGreaterThan(0);
    // Frozen at the first look, thawing at the second, readable at the third: two polls of the drill's clock.
    expect(outcome.kind === 'started' ? outcome.job.restore?.thaw?.seconds : undefined).toBe(120);
    expect(transport.sent).toHaveLength(1);
  });
});
