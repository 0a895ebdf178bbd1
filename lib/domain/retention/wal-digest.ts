/**
 * The retention digest of a cluster's WAL: what retention planning needs of every live segment (how many objects it
 * has and their bytes), packed into chunks of {@link WAL_DIGEST_CHUNK_SEGMENTS} consecutive segment numbers of one
 * timeline. Planning a ten-year archive then reads a couple of hundred small items instead of close to a million
 * WAL items, and a daily plan re-reads only the chunks that changed since the last one.
 *
 * A chunk's `data` is a sequence of unsigned varints, three per live segment in segment order: the segments skipped
 * since the previous live one (from the chunk's first segment), the segment's live objects, their bytes. The
 * chunk's totals are stored beside the data and checked against it when it is decoded, so a damaged chunk is
 * noticed (and the digest rebuilt from the catalog) rather than planned from.
 */
import { InvalidInputError } from '../errors.ts';
import type { TimelineId } from '../wal/timeline.ts';
import { type SegmentNumber, segmentNumber } from '../wal/wal-segment.ts';
import {
  type RetentionWalObject,
  type RetentionWalRuns,
  RetentionWalRunsBuilder,
  type RunBreaks,
} from './wal-retention.ts';

/** Segment numbers per chunk: about 20 KB of data per chunk, a full chunk's catalog items in 1-2 Query pages. */
export const WAL_DIGEST_CHUNK_SEGMENTS = 4096;
/** The chunk layout; a digest stored with another one is rebuilt. */
export const WAL_DIGEST_LAYOUT = 1;
/**
 * A stored digest older than this is rebuilt from the whole catalog: the incremental updates follow the change
 * index, and this bounds how long anything the index could not show (an item removed outside walcat) can last.
 */
export const WAL_DIGEST_REBUILD_EVERY_MS = 7 * 24 * 3600_000;

/** One chunk of the digest: the live segments of `chunk * 4096 .. chunk * 4096 + 4095` on one timeline. */
export interface WalDigestChunk {
  readonly timeline: TimelineId;
  /** `floor(segNo / WAL_DIGEST_CHUNK_SEGMENTS)` of every segment in it. */
  readonly chunk: number;
  readonly data: Uint8Array;
  /** Live segments, their objects and bytes: the sums over `data`. */
  readonly segments: number;
  readonly objects: number;
  readonly bytes: number;
  /** The most recently uploaded live object of the chunk (what retention's clock check compares with). */
  readonly newest?: { readonly key: string; readonly uploadedAt: Date };
}

/** One live segment of a chunk, as decoded. */
export interface DigestSegment {
  readonly segNo: SegmentNumber;
  readonly objects: number;
  readonly bytes: number;
}

/** The head of a stored digest: how it was made and up to when the change index was folded into it. */
export interface WalDigestHead {
  readonly layout: number;
  /** The cluster's WAL segment size in bytes when the digest was built. */
  readonly segmentSize: number;
  /** The change stamp taken before the last full build read the catalog. */
  readonly builtAt: string;
  /** The change stamp taken before the last update read the change index. */
  readonly changesThrough: string;
  /** WAL-partition objects without a segment number at the last full build (retention never deletes them). */
  readonly alwaysKeptObjects: number;
}

/** Which chunk a segment is in. */
export const digestChunkOf = (segNo: number): number => Math.floor(segNo / WAL_DIGEST_CHUNK_SEGMENTS);

/** The first and last segment numbers of a chunk. */
export function digestChunkSegments(chunk: number): { fromSegNo: SegmentNumber; toSegNo: SegmentNumber } {
  const from = chunk * WAL_DIGEST_CHUNK_SEGMENTS;
  return { fromSegNo: segmentNumber(from), toSegNo: segmentNumber(from + WAL_DIGEST_CHUNK_SEGMENTS - 1) };
}

/** A stable identity of a chunk, for sets and maps. */
export const digestChunkId = (timeline: number, chunk: number): string => `${timeline}:${chunk}`;

class VarintWriter {
  #bytes = new Uint8Array(256);
  #length = 0;

  write(value: number): void {
    if (this.#length + 8 > this.#bytes.length) {
      const grown = new Uint8Array(this.#bytes.length * 2);
      grown.set(this.#bytes);
      this.#bytes = grown;
    }
    // Arithmetic rather than bit operations: byte counts pass 2^31.
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes[this.#length++] = (rest % 0x80) + 0x80;
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes[this.#length++] = rest;
  }

  done(): Uint8Array {
    return this.#bytes.slice(0, this.#length);
  }
}

/**
 * Folds live WAL objects of one timeline, in catalog order (segment order), into chunks. Tombstones are ignored;
 * objects without a segment number (never deleted by retention) are only counted.
 *
 * @example
 * const builder = new WalDigestBuilder(timelineId(1));
 * for await (const object of catalog.listRetentionWal(cluster, timelineId(1))) builder.add(object);
 * builder.build(); // the chunks of timeline 1
 */
export class WalDigestBuilder {
  readonly #timeline: TimelineId;
  readonly #chunks: WalDigestChunk[] = [];
  #alwaysKept = 0;
  #chunk: number | undefined;
  #writer = new VarintWriter();
  #segments = 0;
  #objects = 0;
  #bytes = 0;
  #newest: { key: string; uploadedAt: Date } | undefined;
  /** The segment being summed (its objects and bytes not written yet). */
  #segNo: number | undefined;
  #segObjects = 0;
  #segBytes = 0;
  /** The last segment written to the open chunk (the chunk's first segment minus one before any). */
  #previous = 0;

  constructor(timeline: TimelineId) {
    this.#timeline = timeline;
  }

  add(object: RetentionWalObject & { readonly uploadedAt?: Date }): this {
    if (object.deleted) return this;
    if (object.segNo === undefined || object.kind === 'history') {
      this.#alwaysKept++;
      return this;
    }
    if (object.timeline !== this.#timeline) {
      throw new InvalidInputError(
        `WAL object ${object.key} is on timeline ${object.timeline}, not ${this.#timeline}; a digest builder folds one timeline`,
      );
    }
    const segNo = object.segNo;
    if (this.#segNo !== undefined && segNo < this.#segNo) {
      throw new InvalidInputError(
        `WAL object ${object.key} (segment ${segNo}) arrived after segment ${this.#segNo}; the digest is built from the catalog's segment order`,
      );
    }
    if (segNo !== this.#segNo) {
      this.#flushSegment();
      const chunk = digestChunkOf(segNo);
      if (chunk !== this.#chunk) {
        this.#closeChunk();
        this.#chunk = chunk;
        this.#previous = chunk * WAL_DIGEST_CHUNK_SEGMENTS - 1;
      }
      this.#segNo = segNo;
    }
    this.#segObjects++;
    this.#segBytes += object.size;
    if (object.uploadedAt !== undefined && (!this.#newest || object.uploadedAt > this.#newest.uploadedAt)) {
      this.#newest = { key: object.key, uploadedAt: object.uploadedAt };
    }
    return this;
  }

  #flushSegment(): void {
    if (this.#segNo === undefined) return;
    this.#writer.write(this.#segNo - this.#previous - 1);
    this.#writer.write(this.#segObjects);
    this.#writer.write(this.#segBytes);
    this.#previous = this.#segNo;
    this.#segments++;
    this.#objects += this.#segObjects;
    this.#bytes += this.#segBytes;
    this.#segNo = undefined;
    this.#segObjects = 0;
    this.#segBytes = 0;
  }

  #closeChunk(): void {
    if (this.#chunk === undefined || this.#segments === 0) return;
    this.#chunks.push({
      timeline: this.#timeline,
      chunk: this.#chunk,
      data: this.#writer.done(),
      segments: this.#segments,
      objects: this.#objects,
      bytes: this.#bytes,
      ...(this.#newest ? { newest: this.#newest } : {}),
    });
    this.#writer = new VarintWriter();
    this.#segments = 0;
    this.#objects = 0;
    this.#bytes = 0;
    this.#newest = undefined;
  }

  /** The chunks with at least one live segment, in order, and the objects without a segment number. */
  build(): { chunks: WalDigestChunk[]; alwaysKeptObjects: number } {
    this.#flushSegment();
    this.#closeChunk();
    this.#chunk = undefined;
    return { chunks: this.#chunks.splice(0), alwaysKeptObjects: this.#alwaysKept };
  }
}

/**
 * The live segments of a chunk, in order.
 *
 * @throws InvalidInputError when the data is cut short, leaves the chunk, or disagrees with the chunk's totals.
 */
export function decodeDigestChunk(chunk: WalDigestChunk): DigestSegment[] {
  const segments: DigestSegment[] = [];
  forEachDigestSegment(chunk, (segNo, objects, bytes) => segments.push({ segNo, objects, bytes }));
  return segments;
}

/**
 * Visits the live segments of a chunk in order without building an object per segment (a ten-year digest holds
 * close to a million), after checking the whole chunk: nothing is visited of a damaged one.
 *
 * @throws InvalidInputError as {@link decodeDigestChunk}.
 */
export function forEachDigestSegment(
  chunk: WalDigestChunk,
  visit: (segNo: SegmentNumber, objects: number, bytes: number) => void,
): void {
  checkDigestChunk(chunk);
  const { data } = chunk;
  const length = data.length;
  let offset = 0;
  let previous = chunk.chunk * WAL_DIGEST_CHUNK_SEGMENTS - 1;
  // Varints read inline: a ten-year digest is close to three million of them per plan.
  while (offset < length) {
    let skipped = 0;
    let objects = 0;
    let bytes = 0;
    for (let field = 0; field < 3; field++) {
      let value = 0;
      let scale = 1;
      let byte: number;
      do {
        byte = data[offset++] as number;
        value += (byte & 0x7f) * scale;
        scale *= 0x80;
      } while (byte >= 0x80);
      if (field === 0) skipped = value;
      else if (field === 1) objects = value;
      else bytes = value;
    }
    const segNo = previous + skipped + 1;
    visit(segNo as SegmentNumber, objects, bytes);
    previous = segNo;
  }
}

/** Chunks whose data was checked against their totals: a chunk object is never changed, so once is enough. */
const checkedChunks = new WeakSet<WalDigestChunk>();

/**
 * Checks that a chunk's data decodes to its totals, segments in order inside the chunk, each with an object; a chunk
 * already checked is not checked again.
 *
 * @throws InvalidInputError naming the chunk and what is wrong (the digest is rebuilt then).
 */
export function checkDigestChunk(chunk: WalDigestChunk): void {
  if (checkedChunks.has(chunk)) return;
  const { data } = chunk;
  const where = `retention digest chunk ${chunk.chunk} of timeline ${chunk.timeline}`;
  const first = chunk.chunk * WAL_DIGEST_CHUNK_SEGMENTS;
  let offset = 0;
  const read = (): number => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (offset >= data.length) throw new InvalidInputError(`${where} ends inside a number; it is rebuilt`);
      const byte = data[offset++] as number;
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 49) throw new InvalidInputError(`${where} holds a number too long to be one; it is rebuilt`);
    }
  };
  let previous = first - 1;
  let segments = 0;
  let objects = 0;
  let bytes = 0;
  while (offset < data.length) {
    const segNo = previous + read() + 1;
    const count = read();
    const size = read();
    if (segNo >= first + WAL_DIGEST_CHUNK_SEGMENTS || count === 0) {
      throw new InvalidInputError(
        `${where} holds ${count === 0 ? `segment ${segNo} with no object` : `segment ${segNo}, outside the chunk`}; it is rebuilt`,
      );
    }
    segmentNumber(segNo);
    segments++;
    objects += count;
    bytes += size;
    previous = segNo;
  }
  if (segments !== chunk.segments || objects !== chunk.objects || bytes !== chunk.bytes) {
    throw new InvalidInputError(
      `${where} decodes to ${segments} segments, ${objects} objects, ${bytes} bytes, but says ${chunk.segments}, ${chunk.objects}, ${chunk.bytes}; it is rebuilt`,
    );
  }
  checkedChunks.add(chunk);
}

/** Why a stored digest cannot be updated in place and is rebuilt from the catalog, or undefined when it can be. */
export function digestRebuildReason(
  head: WalDigestHead | undefined,
  segmentSize: number,
  now: Date,
): string | undefined {
  if (head === undefined) return 'no digest stored';
  if (head.layout !== WAL_DIGEST_LAYOUT) return `the stored digest has layout ${head.layout}, not ${WAL_DIGEST_LAYOUT}`;
  if (head.segmentSize !== segmentSize) {
    return `the stored digest was built for ${head.segmentSize}-byte segments, the cluster now has ${segmentSize}`;
  }
  const builtAtMs = Date.parse(head.builtAt);
  if (!Number.isFinite(builtAtMs)) return `the stored digest's build stamp ${JSON.stringify(head.builtAt)} is no time`;
  if (now.getTime() - builtAtMs >= WAL_DIGEST_REBUILD_EVERY_MS) return 'weekly rebuild';
  if (!Number.isFinite(Date.parse(head.changesThrough))) {
    return `the stored digest's change stamp ${JSON.stringify(head.changesThrough)} is no time`;
  }
  return undefined;
}

/**
 * The chunk a changed WAL object touches, or undefined for `.history` files and objects without a segment number:
 * those are kept in the cluster's own partition, not in a WAL partition the digest folds.
 */
export function touchedDigestChunk(
  changed: Pick<RetentionWalObject, 'timeline' | 'segNo' | 'kind'>,
): { timeline: TimelineId; chunk: number } | undefined {
  if (changed.kind === 'history' || changed.segNo === undefined) return undefined;
  return { timeline: changed.timeline, chunk: digestChunkOf(changed.segNo) };
}

/**
 * The digest as retention's runs, broken where `breaks` says (see walRunBreaks): exactly what a
 * RetentionWalRunsBuilder fed the catalog's live WAL objects one by one builds.
 *
 * @throws InvalidInputError when a chunk is damaged (see {@link decodeDigestChunk}).
 */
export function retentionRunsFromDigest(
  chunks: readonly WalDigestChunk[],
  alwaysKeptObjects: number,
  breaks: RunBreaks,
): RetentionWalRuns {
  const builder = new RetentionWalRunsBuilder(breaks).addAlwaysKept(alwaysKeptObjects);
  const ordered = [...chunks].sort((a, b) => a.timeline - b.timeline || a.chunk - b.chunk);
  for (const chunk of ordered) {
    forEachDigestSegment(chunk, (segNo, objects, bytes) => builder.addSegment(chunk.timeline, segNo, objects, bytes));
  }
  return builder.build();
}
