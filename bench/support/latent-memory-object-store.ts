/**
 * An in-memory ObjectStore with S3's listing semantics (ascending keys, at most 1,000 per page, StartAfter,
 * continuation tokens) and a fixed latency per request. Used to compare listing strategies under S3-like latency
 * without s3rver, whose listing re-walks its whole directory on every page (an emulator cost S3 does not have).
 */
import type {
  DeleteObjectsOutcome,
  ListPageRequest,
  ObjectHead,
  ObjectPage,
  ObjectStore,
  ObjectSummary,
} from '../../lib/ports/object-store.ts';
import type { RequestLatency } from './request-clock.ts';
import { sleep } from './request-latency.ts';

export class LatentMemoryObjectStore implements ObjectStore {
  readonly #objects: readonly ObjectSummary[];
  readonly #latencyMs: number;
  readonly #clock: RequestLatency | undefined;
  listRequests = 0;

  /** `objects` need not be sorted; `clock` waits each list request's latency and tracks them (plain sleep without). */
  constructor(objects: readonly ObjectSummary[], latencyMs: number, clock?: RequestLatency) {
    this.#objects = [...objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    this.#latencyMs = latencyMs;
    this.#clock = clock;
  }

  /** Index of the first key after `key` (or equal to it when `inclusive`). */
  #indexAfter(key: string, inclusive: boolean): number {
    let low = 0;
    let high = this.#objects.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const candidate = (this.#objects[middle] as ObjectSummary).key;
      if (candidate < key || (!inclusive && candidate === key)) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  async listPage(_bucket: string, request: ListPageRequest): Promise<ObjectPage> {
    this.listRequests++;
    await (this.#clock ? this.#clock.wait(this.#latencyMs) : sleep(this.#latencyMs));
    const after = request.continuationToken ?? request.startAfter ?? '';
    const limit = Math.min(request.maxKeys ?? 1000, 1000);
    const objects: ObjectSummary[] = [];
    let index = Math.max(this.#indexAfter(after, false), this.#indexAfter(request.prefix, true));
    for (; index < this.#objects.length && objects.length < limit; index++) {
      const item = this.#objects[index] as ObjectSummary;
      if (!item.key.startsWith(request.prefix)) break;
      objects.push(item);
    }
    const more = index < this.#objects.length && (this.#objects[index] as ObjectSummary).key.startsWith(request.prefix);
    const last = objects.at(-1);
    return { objects, ...(more && last ? { continuationToken: last.key } : {}) };
  }

  async *list(bucket: string, prefix: string, options: { readonly startAfter?: string } = {}) {
    let continuationToken: string | undefined;
    let startAfter = options.startAfter;
    do {
      const page = await this.listPage(bucket, {
        prefix,
        ...(startAfter === undefined ? {} : { startAfter }),
        ...(continuationToken === undefined ? {} : { continuationToken }),
      });
      startAfter = undefined;
      yield* page.objects;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }

  async getObjectText(): Promise<string | undefined> {
    return undefined;
  }

  async getObjectBytes(): Promise<Uint8Array | undefined> {
    return undefined;
  }

  async headObject(): Promise<ObjectHead | undefined> {
    return undefined;
  }

  async deleteObjects(): Promise<DeleteObjectsOutcome> {
    return { deleted: [], failed: [] };
  }

  async putObject(): Promise<{ readonly etag: string }> {
    return { etag: '' };
  }
}
