import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';

/** One object of a listing, with the key relative to the cluster root. */
export interface ListedObject {
  readonly key: string;
  readonly size: number;
  readonly lastModified?: Date;
}

/**
 * The cluster's storage root as wal-g-local sees it: keys are relative to `WALG_S3_PREFIX`, bodies are buffers or
 * streams. Missing objects are `undefined`, never an exception.
 */
export class ArchiveStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  async put(key: string, body: Uint8Array | string, contentType = 'application/octet-stream'): Promise<void> {
    await this.client.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentType: contentType }),
    );
  }

  /** The whole object, or undefined when it does not exist. */
  async get(key: string): Promise<Buffer | undefined> {
    const stream = await this.getStream(key);
    if (!stream) return undefined;
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  /** The object body as a stream, or undefined when it does not exist. */
  async getStream(key: string): Promise<Readable | undefined> {
    try {
      const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return response.Body as Readable;
    } catch (error) {
      if (error instanceof NoSuchKey || error instanceof NotFound) return undefined;
      throw error;
    }
  }

  /** Every object under `keyPrefix` (paginated), keys relative to the root. */
  async list(keyPrefix: string): Promise<ListedObject[]> {
    const objects: ListedObject[] = [];
    let continuationToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.prefix + keyPrefix,
          ...(continuationToken ? { ContinuationToken: continuationToken } : {}),
        }),
      );
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        objects.push({
          key: object.Key.slice(this.prefix.length),
          size: object.Size ?? 0,
          ...(object.LastModified ? { lastModified: object.LastModified } : {}),
        });
      }
      continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (continuationToken);
    return objects;
  }

  /** `s3://bucket/prefix/key`, for messages. */
  describe(key: string): string {
    return `s3://${this.bucket}/${this.prefix}${key}`;
  }
}
