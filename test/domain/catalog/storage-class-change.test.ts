import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import { catalogStorageClass, deeperStorageClass, isFrozen } from '../../../lib/domain/bucket/storage-class.ts';
import type { BackupInterpreter } from '../../../lib/domain/catalog/catalog-change.ts';
import {
  applyEventsToCatalogState,
  type CatalogChange,
  EMPTY_CATALOG_STATE,
} from '../../../lib/domain/catalog/catalog-state.ts';
import { objectEffect, storageClassEffect } from '../../../lib/domain/catalog/object-effect.ts';
import type { ObjectEvent } from '../../../lib/domain/catalog/object-event.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { classifyKey } from '../../../lib/domain/layout/classify-key.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const cluster = 'orders-main' as ClusterId;
const at = (hours: number): Date => new Date(Date.UTC(2026, 10, 1) + hours * 3_600_000);
const size = walSegmentSize(16 * 1024 * 1024);

const interpret: BackupInterpreter = (_cluster, name) => {
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline: timelineId(1),
    startLsn: lsnFromInteger(0),
    finishLsn: lsnFromInteger(16),
    startSegment: { timeline: timelineId(1), segNo: segmentNumber(1) },
    permanent: false,
  };
  return { backup };
};

const WAL_KEY = 'wal_005/000000010000000000000001.lz4';
const PART = 'tar_partitions/part_001.tar.lz4';
const PART_KEY = `basebackups_005/base_000000010000000000000001/${PART}`;
const SENTINEL_KEY = 'basebackups_005/base_000000010000000000000001_backup_stop_sentinel.json';

/** The create events of one WAL segment and one backup (sentinel and one tar part), all at hour 0. */
function created(): CatalogChange[] {
  const changes: CatalogChange[] = [];
  for (const key of [WAL_KEY, PART_KEY, SENTINEL_KEY]) {
    const effect = objectEffect(cluster, classifyKey(key, 'wal-g', size), {
      key,
      present: true,
      size: 100,
      etag: 'e',
      sequencer: '01',
      at: at(0),
    });
    if (effect.type === 'wal') changes.push({ type: 'wal', change: { origin: 'event', record: effect.record } });
    if (effect.type === 'backup-payload') changes.push({ type: 'backup', change: effect.change });
    if (effect.type === 'backup-source')
      changes.push({
        type: 'backup',
        change: {
          type: 'source-observed',
          origin: 'event',
          cluster,
          name: effect.name,
          source: effect.source,
          observation: { ...effect.observation, text: '{}' },
        },
      });
  }
  if (changes.length !== 3) throw new Error('fixture: every key must be catalogued');
  return changes;
}

function storageEvent(key: string, hours: number, extra: Partial<ObjectEvent>): CatalogChange {
  const event: ObjectEvent = { bucket: 'b', key, kind: 'storage-class', eventTime: at(hours), ...extra };
  const effect = storageClassEffect(cluster, classifyKey(key, 'wal-g', size), event);
  if (effect.type === 'ignored') throw new Error(effect.reason);
  return effect.type === 'wal' ? { type: 'wal', change: effect.change } : { type: 'backup', change: effect.change };
}

/** What the catalog says of the three objects' storage. */
function storageOf(changes: readonly CatalogChange[]) {
  const state = applyEventsToCatalogState(EMPTY_CATALOG_STATE, changes, interpret);
  const wal = state.wal.get(`${cluster} ${WAL_KEY}`);
  const backup = state.backups.get(`${cluster} base_000000010000000000000001`);
  const pick = (o: { storageClass?: string; thawedUntil?: Date } | undefined) => ({
    storageClass: o?.storageClass,
    thawedUntil: o?.thawedUntil?.toISOString(),
  });
  return { wal: pick(wal), part: pick(backup?.payload?.[PART]), sentinel: pick(backup?.sentinel) };
}

describe('storage classes in the catalog', () => {
  it('records a lifecycle transition of a WAL segment, a tar partition and a sentinel', () => {
    const storage = storageOf([
      ...created(),
      storageEvent(WAL_KEY, 24 * 30, { storageClass: 'GLACIER' }),
      storageEvent(PART_KEY, 24 * 30, { storageClass: 'DEEP_ARCHIVE' }),
      storageEvent(SENTINEL_KEY, 24 * 30, { storageClass: 'DEEP_ARCHIVE' }),
    ]);
    expect(storage).toEqual({
      wal: { storageClass: 'GLACIER', thawedUntil: undefined },
      part: { storageClass: 'DEEP_ARCHIVE', thawedUntil: undefined },
      sentinel: { storageClass: 'DEEP_ARCHIVE', thawedUntil: undefined },
    });
  });

  it('records a completed thaw: the object reads again until the copy expires', () => {
    const thawedUntil = at(24 * 33);
    const changes = [
      ...created(),
      storageEvent(WAL_KEY, 24 * 30, { storageClass: 'GLACIER' }),
      storageEvent(WAL_KEY, 24 * 31, { storageClass: 'GLACIER', thawedUntil }),
    ];
    const wal = applyEventsToCatalogState(EMPTY_CATALOG_STATE, changes, interpret).wal.get(`${cluster} ${WAL_KEY}`);
    expect(wal?.thawedUntil).toEqual(thawedUntil);
    expect(isFrozen(wal ?? {}, at(24 * 32))).toBe(false);
    expect(isFrozen(wal ?? {}, at(24 * 33))).toBe(true);
  });

  it('ignores an event about an earlier version of the key and never creates an object', () => {
    const recreated: CatalogChange[] = created().map((change) =>
      change.type === 'wal' && change.change.origin === 'event'
        ? { ...change, change: { ...change.change, record: { ...change.change.record, uploadedAt: at(48) } } }
        : change,
    );
    expect(storageOf([...recreated, storageEvent(WAL_KEY, 24, { storageClass: 'GLACIER' })]).wal.storageClass).toBe(
      undefined,
    );
    const state = applyEventsToCatalogState(
      EMPTY_CATALOG_STATE,
      [storageEvent(WAL_KEY, 24, { storageClass: 'GLACIER' })],
      interpret,
    );
    expect(state.wal.size).toBe(0);
  });

  it('converges for any order and duplication of the transition and thaw events of one version', () => {
    const event = fc.oneof(
      fc.record({
        key: fc.constantFrom(WAL_KEY, PART_KEY, SENTINEL_KEY),
        hours: fc.integer({ min: 1, max: 2000 }),
        storageClass: fc.constantFrom('STANDARD_IA', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE', undefined),
        thawHours: fc.option(fc.integer({ min: 1, max: 3000 }), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 12 }), fc.infiniteStream(fc.nat()), (events, seeds) => {
        const changes = events.map((e) =>
          storageEvent(e.key, e.hours, {
            ...(e.storageClass === undefined ? {} : { storageClass: e.storageClass }),
            ...(e.thawHours === undefined ? {} : { thawedUntil: at(e.thawHours) }),
          }),
        );
        const shuffled = [...changes, ...changes.filter((_, i) => i % 2 === 0)]
          .map((change) => ({ change, rank: seeds.next().value as number }))
          .sort((a, b) => a.rank - b.rank)
          .map((entry) => entry.change);
        expect(storageOf([...created(), ...shuffled])).toEqual(storageOf([...created(), ...changes]));
      }),
      { numRuns: 200 },
    );
  });

  it('records classes as the catalog keeps them: STANDARD absent, archive tiers joined', () => {
    expect(catalogStorageClass('STANDARD')).toBeUndefined();
    expect(catalogStorageClass(undefined)).toBeUndefined();
    expect(catalogStorageClass('glacier')).toBe('GLACIER');
    expect(catalogStorageClass('INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS')).toBe(
      'INTELLIGENT_TIERING/DEEP_ARCHIVE_ACCESS',
    );
    expect(deeperStorageClass('DEEP_ARCHIVE', 'GLACIER')).toBe('DEEP_ARCHIVE');
    expect(deeperStorageClass(undefined, 'STANDARD_IA')).toBe('STANDARD_IA');
    expect(isFrozen({ storageClass: 'GLACIER_IR' }, at(0))).toBe(false);
    expect(isFrozen({ storageClass: 'INTELLIGENT_TIERING/ARCHIVE_ACCESS' }, at(0))).toBe(true);
    expect(isFrozen({}, at(0))).toBe(false);
  });
});
