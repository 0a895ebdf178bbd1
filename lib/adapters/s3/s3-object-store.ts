import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InvalidInputError } from '../../domain/errors.ts';
import type {
  DeleteObjectsOutcome,
  ListPageRequest,
  ObjectHead,
  ObjectPage,
  ObjectStore,
  ObjectSummary,
} from '../../ports/object-store.ts';
import type { DeleteVersionsOutcome, ObjectVersionStore } from '../../ports/object-version-store.ts';
import type { ServiceClock } from '../../ports/service-clock.ts';

/** DeleteObjects accepts at most 1,000 keys per request. */
const DELETE_BATCH = 1000;

/** S3 orders keys by their UTF-8 bytes, which JavaScript's string order does not match beyond ASCII. */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b));

function commonPrefix(a: string, b: string): string {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return a.slice(0, length);
}

/** Sorted keys grouped by their folder, so each group is one narrow ListObjectVersions range. */
function folderGroups(sorted: readonly string[]): string[][] {
  const groups: string[][] = [];
  let folder: string | undefined;
  for (const key of sorted) {
    const own = key.slice(0, key.lastIndexOf('/') + 1);
    if (own !== folder || groups.length === 0) {
      groups.push([]);
      folder = own;
    }
    groups[groups.length - 1]?.push(key);
  }
  return groups;
}

interface KeyVersion {
  readonly key: string;
  readonly versionId: string;
  readonly size: number;
}

const unquote = (etag: string | undefined): string => (etag ?? '').replaceAll('"', '');

const isNotFound = (error: unknown): boolean => {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'NoSuchKey' || name === 'NotFound' || status === 404;
};

/** Counts requests per S3 operation (benchmarks and tests read it). */
export interface RequestCounter {
  readonly counts: Readonly<Record<string, number>>;
  total(): number;
}

/**
 * The ObjectStore port over the AWS SDK S3 client. Works against S3 and, with the client from
 * `createS3Client` (path style, checksums when required), against S3-compatible stores and s3rver.
 */
export class S3ObjectStore implements ObjectStore, ObjectVersionStore, ServiceClock {
  readonly #client: S3Client;
  readonly #counts: Record<string, number> = {};

  constructor(client: S3Client) {
    this.#client = client;
  }

  get requests(): RequestCounter {
    const counts = this.#counts;
    return { counts, total: () => Object.values(counts).reduce((sum, n) => sum + n, 0) };
  }

  #count(operation: string): void {
    this.#counts[operation] = (this.#counts[operation] ?? 0) + 1;
  }

  async listPage(bucket: string, request: ListPageRequest): Promise<ObjectPage> {
    this.#count('ListObjectsV2');
    const response = await this.#client.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: request.prefix,
        ...(request.startAfter === undefined ? {} : { StartAfter: request.startAfter }),
        ...(request.continuationToken === undefined ? {} : { ContinuationToken: request.continuationToken }),
        MaxKeys: request.maxKeys ?? 1000,
      }),
      request.signal ? { abortSignal: request.signal } : {},
    );
    // A loop, not flatMap with spreads: a full sync maps every object of the bucket through here.
    const objects: ObjectSummary[] = [];
    for (const item of response.Contents ?? []) {
      if (item.Key === undefined) continue;
      const summary: { -readonly [K in keyof ObjectSummary]: ObjectSummary[K] } = {
        key: item.Key,
        size: item.Size ?? 0,
        etag: unquote(item.ETag),
        lastModified: item.LastModified ?? new Date(0),
      };
      if (item.StorageClass !== undefined) summary.storageClass = item.StorageClass;
      objects.push(summary);
    }
    return {
      objects,
      ...(response.IsTruncated && response.NextContinuationToken
        ? { continuationToken: response.NextContinuationToken }
        : {}),
    };
  }

  async *list(
    bucket: string,
    prefix: string,
    options: { readonly startAfter?: string; readonly signal?: AbortSignal } = {},
  ): AsyncIterable<ObjectSummary> {
    let continuationToken: string | undefined;
    do {
      const page: ObjectPage = await this.listPage(bucket, {
        prefix,
        ...(continuationToken === undefined && options.startAfter !== undefined
          ? { startAfter: options.startAfter }
          : {}),
        ...(continuationToken === undefined ? {} : { continuationToken }),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      yield* page.objects;
      continuationToken = page.continuationToken;
    } while (continuationToken !== undefined);
  }

  async getObjectBytes(bucket: string, key: string, maxBytes: number): Promise<Uint8Array | undefined> {
    this.#count('GetObject');
    try {
      // Ask for one byte more than allowed so an oversized object is recognised without downloading it whole.
      const response = await this.#client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${maxBytes}` }),
      );
      const bytes = (await response.Body?.transformToByteArray()) ?? new Uint8Array();
      if (bytes.length > maxBytes) {
        throw new InvalidInputError(
          `s3://${bucket}/${key} is larger than ${maxBytes} bytes, the most walcat reads for this kind of object; it is not what its name says: inspect or remove it`,
        );
      }
      return bytes;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      // A ranged GET of an empty object is answered 416 InvalidRange.
      if ((error as { name?: string }).name === 'InvalidRange') return new Uint8Array();
      throw error;
    }
  }

  async getObjectText(bucket: string, key: string, maxBytes: number): Promise<string | undefined> {
    const bytes = await this.getObjectBytes(bucket, key, maxBytes);
    return bytes === undefined ? undefined : new TextDecoder().decode(bytes);
  }

  /** The `Date` header of a HeadBucket answer: S3's own clock, which retention compares its clock with. */
  async serviceTime(bucket: string): Promise<Date | undefined> {
    this.#count('HeadBucket');
    const command = new HeadBucketCommand({ Bucket: bucket });
    let header: string | undefined;
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const headers = (result.response as { headers?: Record<string, string> }).headers ?? {};
        header = headers.date ?? headers.Date;
        return result;
      },
      { step: 'deserialize', name: 'walcatServiceDate' },
    );
    await this.#client.send(command);
    const time = header === undefined ? undefined : new Date(header);
    return time === undefined || Number.isNaN(time.getTime()) ? undefined : time;
  }

  async headObject(bucket: string, key: string): Promise<ObjectHead | undefined> {
    this.#count('HeadObject');
    try {
      const response = await this.#client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      return {
        size: response.ContentLength ?? 0,
        etag: unquote(response.ETag),
        lastModified: response.LastModified ?? new Date(0),
      };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteObjects(bucket: string, keys: readonly string[]): Promise<DeleteObjectsOutcome> {
    const deleted: string[] = [];
    const failed: { key: string; code: string; message: string }[] = [];
    for (let start = 0; start < keys.length; start += DELETE_BATCH) {
      const chunk = keys.slice(start, start + DELETE_BATCH);
      this.#count('DeleteObjects');
      const response = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: chunk.map((Key) => ({ Key })), Quiet: false },
        }),
      );
      for (const item of response.Deleted ?? []) if (item.Key !== undefined) deleted.push(item.Key);
      for (const item of response.Errors ?? []) {
        failed.push({ key: item.Key ?? '', code: item.Code ?? 'Unknown', message: item.Message ?? '' });
      }
    }
    return { deleted, failed };
  }

  async deleteAllVersions(bucket: string, keys: readonly string[]): Promise<DeleteVersionsOutcome> {
    const sorted = [...new Set(keys)].sort(byteOrder);
    const versions: KeyVersion[] = [];
    for (const group of folderGroups(sorted)) versions.push(...(await this.#versionsOf(bucket, group)));
    const failedKeys = new Map<string, { key: string; code: string; message: string }>();
    let versionsDeleted = 0;
    let bytesFreed = 0;
    const sizes = new Map(versions.map((version) => [`${version.key}\u0000${version.versionId}`, version.size]));
    for (let start = 0; start < versions.length; start += DELETE_BATCH) {
      const chunk = versions.slice(start, start + DELETE_BATCH);
      this.#count('DeleteObjects');
      const response = await this.#client.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: chunk.map(({ key, versionId }) => ({ Key: key, VersionId: versionId })), Quiet: false },
        }),
      );
      for (const item of response.Deleted ?? []) {
        versionsDeleted++;
        bytesFreed += sizes.get(`${item.Key}\u0000${item.VersionId}`) ?? 0;
      }
      for (const item of response.Errors ?? []) {
        const key = item.Key ?? '';
        if (!failedKeys.has(key)) {
          failedKeys.set(key, {
            key,
            code: item.Code ?? 'Unknown',
            message: `version ${item.VersionId ?? '?'}: ${item.Message ?? ''}`,
          });
        }
      }
    }
    return {
      deleted: sorted.filter((key) => !failedKeys.has(key)),
      failed: [...failedKeys.values()],
      versionsDeleted,
      bytesFreed,
    };
  }

  /**
   * Every version and delete marker of the group's keys: one listing from their common prefix, read until past the
   * last key. A listed key outside the group (a kept object between doomed ones, or one that merely begins with a
   * doomed key) is skipped.
   */
  async #versionsOf(bucket: string, group: readonly string[]): Promise<KeyVersion[]> {
    const first = group[0];
    const last = group[group.length - 1];
    if (first === undefined || last === undefined) return [];
    const wanted = new Set(group);
    const found: KeyVersion[] = [];
    let keyMarker: string | undefined;
    let versionIdMarker: string | undefined;
    for (;;) {
      this.#count('ListObjectVersions');
      const response = await this.#client.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          Prefix: commonPrefix(first, last),
          ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
          ...(versionIdMarker === undefined ? {} : { VersionIdMarker: versionIdMarker }),
        }),
      );
      const listed = [
        ...(response.Versions ?? []).map((v) => ({ key: v.Key, versionId: v.VersionId, size: v.Size ?? 0 })),
        ...(response.DeleteMarkers ?? []).map((m) => ({ key: m.Key, versionId: m.VersionId, size: 0 })),
      ];
      let pastLast = false;
      for (const { key, versionId, size } of listed) {
        if (key === undefined || versionId === undefined) continue;
        if (byteOrder(key, last) > 0) pastLast = true;
        else if (wanted.has(key)) found.push({ key, versionId, size });
      }
      if (!response.IsTruncated || pastLast) return found;
      keyMarker = response.NextKeyMarker;
      versionIdMarker = response.NextVersionIdMarker;
    }
  }

  async putObject(bucket: string, key: string, body: string | Uint8Array): Promise<{ readonly etag: string }> {
    this.#count('PutObject');
    const response = await this.#client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { etag: unquote(response.ETag) };
  }
}
