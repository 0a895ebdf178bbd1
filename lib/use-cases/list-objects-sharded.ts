/**
 * Lists a prefix as many key ranges in parallel instead of one sequential ListObjectsV2 stream: a range whose first
 * page is truncated is split (key-range.ts) and its parts are queued for the workers.
 */
import { type KeyRange, splitRemainingRange } from '../domain/catalog/key-range.ts';
import type { ObjectStore, ObjectSummary } from '../ports/object-store.ts';

export interface ListingProgress {
  readonly listed: number;
  readonly pendingRanges: number;
  readonly requests: number;
}

export interface ShardedListingOptions {
  /** Parallel ListObjectsV2 requests. 1 lists sequentially (no splitting). */
  readonly concurrency: number;
  readonly onProgress?: (progress: ListingProgress) => void;
  readonly signal?: AbortSignal;
}

export async function listObjectsSharded(
  objects: ObjectStore,
  bucket: string,
  prefix: string,
  options: ShardedListingOptions,
): Promise<ObjectSummary[]> {
  const found: ObjectSummary[] = [];
  const queue: KeyRange[] = [{ after: '' }];
  let active = 0;
  let requests = 0;
  const split = options.concurrency > 1;

  const listRange = async (range: KeyRange): Promise<void> => {
    let continuationToken: string | undefined;
    let first = true;
    do {
      const page = await objects.listPage(bucket, {
        prefix,
        ...(first && range.after !== '' ? { startAfter: range.after } : {}),
        ...(continuationToken === undefined ? {} : { continuationToken }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      requests++;
      first = false;
      const inRange =
        range.until === undefined ? page.objects : page.objects.filter((o) => o.key <= (range.until as string));
      found.push(...inRange);
      const lastKey = page.objects.at(-1)?.key;
      const more = page.continuationToken !== undefined && inRange.length === page.objects.length;
      if (!more || lastKey === undefined) return;
      if (split) {
        queue.push(
          ...splitRemainingRange(range, page.objects[0]?.key ?? lastKey, lastKey, prefix, options.concurrency),
        );
        return;
      }
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      while (active < options.concurrency && queue.length > 0) {
        const range = queue.shift() as KeyRange;
        active++;
        listRange(range).then(
          () => {
            active--;
            options.onProgress?.({ listed: found.length, pendingRanges: queue.length + active, requests });
            if (queue.length === 0 && active === 0) resolve();
            else pump();
          },
          (error: unknown) => {
            failed = true;
            reject(error);
          },
        );
      }
    };
    pump();
  });
  return found;
}
