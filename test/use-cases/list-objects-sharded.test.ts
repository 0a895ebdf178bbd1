import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ListPageRequest, ObjectPage, ObjectStore } from '../../lib/ports/object-store.ts';
import { listObjectsSharded } from '../../lib/use-cases/list-objects-sharded.ts';

/** An in-memory bucket with ListObjectsV2 semantics and a tiny page size, so ranges split often. */
function memoryStore(keys: readonly string[], pageSize: number): ObjectStore & { requests: number } {
  const sorted = [...new Set(keys)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const store = {
    requests: 0,
    async listPage(_bucket: string, request: ListPageRequest): Promise<ObjectPage> {
      store.requests++;
      const start =
        request.continuationToken !== undefined
          ? Number(request.continuationToken)
          : sorted.findIndex(
              (key) => key.startsWith(request.prefix) && (request.startAfter === undefined || key > request.startAfter),
            );
      const matching: string[] = [];
      let index = start < 0 ? sorted.length : start;
      while (index < sorted.length && matching.length < pageSize) {
        const key = sorted[index] as string;
        if (!key.startsWith(request.prefix)) break;
        matching.push(key);
        index++;
      }
      const more = index < sorted.length && (sorted[index] as string).startsWith(request.prefix);
      return {
        objects: matching.map((key) => ({ key, size: 1, etag: 'e', lastModified: new Date(0) })),
        ...(more ? { continuationToken: String(index) } : {}),
      };
    },
  };
  return store as unknown as ObjectStore & { requests: number };
}

const walKey = fc
  .tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 255 }))
  .map(
    ([tli, log, seg]) =>
      `root/wal_005/${[tli, log, seg].map((n) => n.toString(16).toUpperCase().padStart(8, '0')).join('')}.br`,
  );
const otherKey = fc.oneof(
  fc.string({ maxLength: 12 }).map((s) => `root/${s}`),
  fc.constantFrom('root/basebackups_005/base_000000010000000000000003_backup_stop_sentinel.json', 'root/', 'rootless'),
);

describe('listObjectsSharded', () => {
  it('lists every key under the prefix exactly once, whatever the keys and the concurrency', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(walKey, walKey, otherKey), { maxLength: 300 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 2, max: 7 }),
        async (keys, concurrency, pageSize) => {
          const store = memoryStore(keys, pageSize);
          const listed = await listObjectsSharded(store, 'b', 'root/', { concurrency });
          const expected = [...new Set(keys.filter((key) => key.startsWith('root/')))].sort();
          expect(listed.map((o) => o.key).sort()).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('splits a large WAL listing into parallel ranges, with a bounded number of extra requests', async () => {
    const keys = Array.from({ length: 50_000 }, (_, n) => {
      const [log, seg] = [Math.floor(n / 256), n % 256];
      return `root/wal_005/00000001${log.toString(16).toUpperCase().padStart(8, '0')}${seg.toString(16).toUpperCase().padStart(8, '0')}.br`;
    });
    const sequential = memoryStore(keys, 1000);
    await listObjectsSharded(sequential, 'b', 'root/', { concurrency: 1 });
    const sharded = memoryStore(keys, 1000);
    let maxPending = 0;
    const listed = await listObjectsSharded(sharded, 'b', 'root/', {
      concurrency: 16,
      onProgress: (progress) => {
        maxPending = Math.max(maxPending, progress.pendingRanges);
      },
    });
    expect(listed).toHaveLength(50_000);
    expect(sequential.requests).toBe(50);
    expect(maxPending).toBeGreaterThan(8);
    expect(sharded.requests).toBeLessThan(1.5 * sequential.requests);
  });
});
