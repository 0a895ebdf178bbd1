import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
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
import type { ServiceClock } from '../../ports/service-clock.ts';

/** DeleteObjects accepts at most 1,000 keys per request. */
const DELETE_BATCH = 1000;

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
export class S3ObjectStore implements ObjectStore, ServiceClock {
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
    const objects: ObjectSummary[] = (response.Contents ?? []).flatMap((item) =>
      item.Key === undefined
        ? []
        : [
            {
              key: item.Key,
              size: item.Size ?? 0,
              etag: unquote(item.ETag),
              lastModified: item.LastModified ?? new Date(0),
              ...(item.StorageClass === undefined ? {} : { storageClass: item.StorageClass }),
            },
          ],
    );
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

  async putObject(bucket: string, key: string, body: string | Uint8Array): Promise<{ readonly etag: string }> {
    this.#count('PutObject');
    const response = await this.#client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { etag: unquote(response.ETag) };
  }
}
