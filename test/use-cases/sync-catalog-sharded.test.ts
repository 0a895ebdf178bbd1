/**
 * The streaming sync with split key ranges against the real DynamoDB adapter: enough objects that pages are
 * truncated and ranges split (hex-fraction boundaries, some naming no segment), compared with the bucket exactly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LatentMemoryObjectStore } from '../../bench/support/latent-memory-object-store.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type { ObjectSummary } from '../../lib/ports/object-store.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { testConfig } from './catalog-test-setup.ts';

const config = testConfig().clusters[0] as ClusterConfig;
const cluster = config.id as ClusterId;
let ddb: DynaliteHandle;
beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(() => ddb.close());

const object = (timeline: number, segNo: number, etag = 'e'): ObjectSummary => ({
  key: `orders-main/wal_005/${walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, config.walSegmentSize)}.br`,
  size: 100,
  etag,
  lastModified: new Date('2026-11-01T00:00:00Z'),
});

async function liveKeys(catalog: DynamoDbCatalogStore): Promise<string[]> {
  const keys: string[] = [];
  for (const timeline of await catalog.listTimelines(cluster)) {
    for await (const record of catalog.listWalObjects(cluster, timeline)) keys.push(`${record.key} ${record.etag}`);
  }
  return keys.sort();
}

describe('syncCatalog over split key ranges into dynalite', () => {
  it('makes the catalog equal the bucket: adds, changes and removals across truncated, split pages', async () => {
    const catalog = new DynamoDbCatalogStore({
      client: ddb.client,
      tableName: 'sharded-sync',
      interpret: createBackupInterpreter([config]),
    });
    await catalog.ensureTable();
    // Segments crossing log ids (segment part FF -> 00) on two timelines.
    const first = [
      ...Array.from({ length: 1300 }, (_, i) => object(1, 200 + i)),
      ...Array.from({ length: 500 }, (_, i) => object(2, 2500 + i)),
    ];
    await syncCatalog(
      { catalog, objects: new LatentMemoryObjectStore(first, 0), decompress: historyTextOrUndefined },
      config,
      { now: new Date('2026-11-02T00:00:00Z'), concurrency: 8 },
    );
    const second = first
      .filter((_, index) => index % 37 !== 5)
      .map((o, index) => (index % 101 === 7 ? { ...o, etag: 'changed', size: 200 } : o))
      .concat(Array.from({ length: 150 }, (_, i) => object(2, 3100 + i)));
    const outcome = await syncCatalog(
      { catalog, objects: new LatentMemoryObjectStore(second, 0), decompress: historyTextOrUndefined },
      config,
      { now: new Date('2026-11-03T00:00:00Z'), concurrency: 8 },
    );
    expect(await liveKeys(catalog)).toEqual(second.map((o) => `${o.key} ${o.etag}`).sort());
    expect(outcome).toMatchObject({ listed: second.length, added: 150, removed: first.length - second.length + 150 });
  }, 120_000);
});
