/**
 * `walcat window` on a catalog (dynalite) whose WAL partly moved to GLACIER: the ranges are cut into parts that
 * restore now and parts that need a thaw, on a full read and on the incremental read after a lifecycle transition.
 * The change index does not project storage classes, so a transition or a completed thaw must still reach the next
 * watchdog run (an incremental read), not wait for the daily full read.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { windowCommand } from '../../lib/cli/commands/window.ts';
import type { WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import {
  baseBackup,
  CLUSTER,
  clusterConfig,
  type Services,
  startCatalogedServices,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);
const iso = (n: number): string => minute(n).toISOString();
const cluster = clusterConfig();
// Segment n uploaded at minute n - 51: segment 50 a minute before NOW.
const uploadedAt = (segNo: number): Date => minute(segNo - 51);

function segmentRecord(segNo: number): WalObjectRecord {
  const tl = timelineId(1);
  return {
    cluster: CLUSTER,
    key: `orders-main/wal_005/${walFileName({ timeline: tl, segNo: segmentNumber(segNo) }, cluster.walSegmentSize)}.lz4`,
    kind: 'segment',
    timeline: tl,
    segNo: segmentNumber(segNo),
    compression: 'lz4',
    size: 1000,
    uploadedAt: uploadedAt(segNo),
    deleted: false,
  };
}

async function transition(services: Services, from: number, to: number, storageClass: string): Promise<void> {
  const changes = [];
  for (let segNo = from; segNo <= to; segNo++) {
    changes.push({
      origin: 'storage-class' as const,
      record: segmentRecord(segNo),
      observedAt: minute(-1),
      storageClass,
    });
  }
  await services.catalog.applyWalChanges(changes);
}

describe('walcat window with frozen WAL', () => {
  let services: Services;
  const older = baseBackup(2, 3, uploadedAt(3));
  const newer = baseBackup(30, 31, uploadedAt(31));

  beforeAll(async () => {
    services = await startCatalogedServices({ backups: [older, newer], through: 50, uploadedAt });
    await transition(services, 10, 20, 'GLACIER');
  });
  afterAll(() => services.close());

  const deps = () => ({ catalog: () => services.catalog, alerts: () => services.alerts, color: false });

  it('window --json says which parts of a range need a thaw and from which backup each restores', async () => {
    const { code, text } = await runCliCommand(windowCommand(deps()), cluster, { json: true, now: NOW });
    expect(code).toBe(0);
    expect(JSON.parse(text)).toEqual({
      cluster: 'orders-main',
      ranges: [
        {
          timeline: 1,
          from: iso(-48),
          to: iso(-1),
          baseBackup: older.name,
          needsThaw: 'partly',
          parts: [
            { from: iso(-48), to: iso(-42), baseBackup: older.name, thaw: null },
            { from: iso(-42), to: iso(-20), baseBackup: older.name, thaw: { storageClasses: ['GLACIER'] } },
            { from: iso(-20), to: iso(-1), baseBackup: newer.name, thaw: null },
          ],
        },
      ],
      lifecycle: [],
    });
  });

  it('window names the stretch that needs a thaw, its classes and what to run', async () => {
    const { text } = await runCliCommand(windowCommand(deps()), cluster, { json: false, now: NOW });
    expect(text).toContain('needs a thaw (GLACIER)');
    expect(text).toContain('restore start --thaw');
  });

  it('keeps the frozen runs across incremental reads and picks up a transition at the next full read', async () => {
    const first = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(first.windows.ranges[0]?.parts.map((part) => part.thaw !== undefined)).toEqual([false, true, false]);
    const quiet = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(quiet.readMode).toBe('incremental');
    expect(quiet.windows.ranges).toEqual(first.windows.ranges);
    await transition(services, 35, 50, 'DEEP_ARCHIVE');
    const full = await evaluateContinuity(services.catalog, cluster, {
      now: NOW,
      persistCursor: true,
      forceFull: true,
    });
    expect(full.windows.ranges[0]?.parts.map((part) => [part.to.toISOString(), part.thaw?.storageClasses])).toEqual([
      [iso(-42), undefined],
      [iso(-20), ['GLACIER']],
      [iso(-17), undefined],
      [iso(-1), ['DEEP_ARCHIVE']],
    ]);
  });
});

describe('a lifecycle transition or a completed thaw reaches the next incremental read (dynalite change index)', () => {
  let services: Services;
  const older = baseBackup(2, 3, uploadedAt(3));
  const newer = baseBackup(30, 31, uploadedAt(31));

  beforeAll(async () => {
    services = await startCatalogedServices({ backups: [older, newer], through: 50, uploadedAt });
  });
  afterAll(() => services.close());

  const thawParts = (evaluation: Awaited<ReturnType<typeof evaluateContinuity>>) =>
    evaluation.windows.ranges[0]?.parts.map((part) => [part.to.toISOString(), part.thaw?.storageClasses]);

  it('the window changes at the next watchdog run, without a forced full read', async () => {
    const first = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(thawParts(first)).toEqual([[iso(-1), undefined]]);
    const quiet = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(quiet.readMode).toBe('incremental');

    await transition(services, 10, 20, 'GLACIER');
    const transitioned = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(thawParts(transitioned)).toEqual([
      [iso(-42), undefined],
      [iso(-20), ['GLACIER']],
      [iso(-1), undefined],
    ]);
    const settled = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(settled.readMode).toBe('incremental');
    expect(thawParts(settled)).toEqual(thawParts(transitioned));

    // ObjectRestore:Completed for the whole stretch: readable until tomorrow, so nothing needs a thaw now.
    const thawed = [];
    for (let segNo = 10; segNo <= 20; segNo++) {
      thawed.push({
        origin: 'storage-class' as const,
        record: segmentRecord(segNo),
        observedAt: minute(-1),
        thawedUntil: new Date(NOW.getTime() + 86_400_000),
      });
    }
    await services.catalog.applyWalChanges(thawed);
    const readable = await evaluateContinuity(services.catalog, cluster, { now: NOW, persistCursor: true });
    expect(readable.windows.ranges[0]?.parts.every((part) => part.thaw === undefined)).toBe(true);
  });
});
