/**
 * What the two retention digests (WAL and backups) share in the table: a partition of one head and many chunks,
 * read in one Query, and chunk writes that never put an older read over a newer one.
 */
import { type Item, inParallel, type SingleTable } from './single-table.ts';

/** Chunk writes in flight at once. */
const CHUNK_WRITES_IN_FLIGHT = 8;

export interface DigestPartition<H, C> {
  readonly head?: H;
  readonly chunks: C[];
  /** Chunk items that could not be read, described. */
  readonly unreadable: string[];
}

/** The head and chunks of a digest partition; `chunkFromItem` answers a description for an item it cannot read. */
export async function readDigestPartition<H, C>(
  table: SingleTable,
  pk: string,
  headSk: string,
  headFromItem: (item: Item) => H | undefined,
  chunkFromItem: (item: Item) => C | string,
): Promise<DigestPartition<H, C>> {
  let head: H | undefined;
  const chunks: C[] = [];
  const unreadable: string[] = [];
  for await (const item of table.query({ pk })) {
    if (item.sk === headSk) {
      head = headFromItem(item);
      continue;
    }
    const chunk = chunkFromItem(item);
    if (typeof chunk === 'string') unreadable.push(chunk);
    else chunks.push(chunk);
  }
  return { ...(head === undefined ? {} : { head }), chunks, unreadable };
}

/**
 * Puts each chunk item unless the stored one came from a later read (its `readAt` is greater); how many were put.
 */
export async function putChunksUnlessNewer(table: SingleTable, items: readonly Item[]): Promise<number> {
  let written = 0;
  await inParallel(items, CHUNK_WRITES_IN_FLIGHT, async (item) => {
    const put = await table.putIf(item, {
      expression: 'attribute_not_exists(pk) OR attribute_not_exists(readAt) OR readAt <= :readAt',
      values: { ':readAt': item.readAt },
    });
    if (put) written++;
  });
  return written;
}
