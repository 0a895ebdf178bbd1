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

/** One listed page and the key range it covers completely: every object of that range is in `objects`. */
export interface ListedPage {
  readonly objects: readonly ObjectSummary[];
  readonly covered: KeyRange;
}

export interface PageListingOptions extends ShardedListingOptions {
  /** Only this range of the prefix (`(after, until]`); the whole prefix when absent. */
  readonly range?: KeyRange;
  /**
   * Ranges that tile what is to be listed, each listed to its end by one worker (instead of `range`); only an
   * open-ended one (past what was known when they were cut) is split as it is listed.
   */
  readonly ranges?: readonly KeyRange[];
}

/** Every object under the prefix, collected (for callers that need them all; a full sync streams instead). */
export async function listObjectsSharded(
  objects: ObjectStore,
  bucket: string,
  prefix: string,
  options: ShardedListingOptions,
): Promise<ObjectSummary[]> {
  const found: ObjectSummary[] = [];
  await forEachListedPage(objects, bucket, prefix, options, async (page) => {
    found.push(...page.objects);
  });
  return found;
}

/**
 * Lists the prefix (or one key range of it) page by page and hands each page, with the key range it covers, to
 * `onPage`; a worker lists its next page only after `onPage` returned, so at most `concurrency` pages are held at a
 * time. The covered ranges of all pages tile the listed range exactly.
 */
export async function forEachListedPage(
  objects: ObjectStore,
  bucket: string,
  prefix: string,
  options: PageListingOptions,
  onPage: (page: ListedPage) => Promise<void>,
): Promise<void> {
  let listed = 0;
  const splitting = options.concurrency > 1;
  const queue: { range: KeyRange; split: boolean }[] = options.ranges
    ? options.ranges.map((range) => ({ range, split: splitting && range.until === undefined }))
    : [{ range: options.range ?? { after: '' }, split: splitting }];
  let active = 0;
  let requests = 0;

  const listRange = async ({ range, split }: { range: KeyRange; split: boolean }): Promise<void> => {
    let continuationToken: string | undefined;
    let after = range.after;
    do {
      const page = await objects.listPage(bucket, {
        prefix,
        ...(continuationToken === undefined && after !== '' ? { startAfter: after } : {}),
        ...(continuationToken === undefined ? {} : { continuationToken }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      requests++;
      const lastKey = page.objects.at(-1)?.key;
      // A page is in key order: when its last key is in the range, all of it is (the common case, kept as it is).
      const inRange =
        range.until === undefined || lastKey === undefined || lastKey <= range.until
          ? page.objects
          : page.objects.filter((o) => o.key <= (range.until as string));
      listed += inRange.length;
      const more = page.continuationToken !== undefined && inRange.length === page.objects.length;
      if (!more || lastKey === undefined) {
        await onPage({
          objects: inRange,
          covered: range.until === undefined ? { after } : { after, until: range.until },
        });
        return;
      }
      await onPage({ objects: inRange, covered: { after, until: lastKey } });
      if (split) {
        queue.push(
          ...splitRemainingRange(
            range.until === undefined ? { after: lastKey } : { after: lastKey, until: range.until },
            page.objects[0]?.key ?? lastKey,
            lastKey,
            prefix,
            options.concurrency,
          ).map((part) => ({ range: part, split: true })),
        );
        return;
      }
      after = lastKey;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  };

  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const pump = (): void => {
      if (failed) return;
      while (active < options.concurrency && queue.length > 0) {
        const next = queue.shift() as { range: KeyRange; split: boolean };
        active++;
        listRange(next).then(
          () => {
            active--;
            options.onProgress?.({ listed, pendingRanges: queue.length + active, requests });
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
}
