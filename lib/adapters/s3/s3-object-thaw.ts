/**
 * The S3 side of a thaw: RestoreObject to ask for a readable copy of a frozen object, HeadObject to see where it
 * stands (`StorageClass`, `ArchiveStatus` for INTELLIGENT_TIERING, and `Restore`: `ongoing-request="true"` while
 * thawing, `ongoing-request="false", expiry-date="..."` once readable).
 */
import { HeadObjectCommand, RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { catalogStorageClass, needsThaw } from '../../domain/bucket/storage-class.ts';
import type { ObjectThaw, RetrievalTierName, ThawState } from '../../ports/object-thaw.ts';

const errorName = (error: unknown): string | undefined =>
  (error as { name?: string; Code?: string }).name ?? (error as { Code?: string }).Code;

/** `ongoing-request="false", expiry-date="Fri, 23 Dec 2026 00:00:00 GMT"` → its parts. */
export function parseRestoreHeader(header: string): { ongoing: boolean; expiry?: Date } {
  const ongoing = /ongoing-request\s*=\s*"true"/i.test(header);
  const expiry = /expiry-date\s*=\s*"([^"]+)"/i.exec(header)?.[1];
  const date = expiry === undefined ? undefined : new Date(expiry);
  return { ongoing, ...(date && !Number.isNaN(date.getTime()) ? { expiry: date } : {}) };
}

export class S3ObjectThaw implements ObjectThaw {
  readonly #client: S3Client;

  constructor(client: S3Client) {
    this.#client = client;
  }

  async thawState(bucket: string, key: string): Promise<ThawState> {
    const response = await this.#client
      .send(new HeadObjectCommand({ Bucket: bucket, Key: key }))
      .catch((error: unknown) => {
        const name = errorName(error);
        if (name === 'NotFound' || name === 'NoSuchKey') return undefined;
        throw error;
      });
    if (response === undefined) return { state: 'missing' };
    const storageClass = catalogStorageClass(response.StorageClass, response.ArchiveStatus);
    if (storageClass === undefined || !needsThaw(storageClass)) return { state: 'readable' };
    if (response.Restore === undefined) return { state: 'frozen', storageClass };
    const restore = parseRestoreHeader(response.Restore);
    if (restore.ongoing) return { state: 'thawing' };
    return restore.expiry === undefined ? { state: 'readable' } : { state: 'readable', until: restore.expiry };
  }

  async requestThaw(
    bucket: string,
    key: string,
    options: { readonly days: number; readonly tier: RetrievalTierName; readonly storageClass: string },
  ): Promise<void> {
    // An Intelligent-Tiering archive tier moves the object back to its frequent tier: no days to give.
    const tiering = options.storageClass.startsWith('INTELLIGENT_TIERING');
    try {
      await this.#client.send(
        new RestoreObjectCommand({
          Bucket: bucket,
          Key: key,
          RestoreRequest: {
            ...(tiering ? {} : { Days: options.days }),
            GlacierJobParameters: { Tier: options.tier },
          },
        }),
      );
    } catch (error) {
      // Already thawing; or readable anyway (not in an archive class): nothing to ask for.
      const name = errorName(error);
      if (name === 'RestoreAlreadyInProgress' || name === 'ObjectAlreadyInActiveTierError') return;
      throw error;
    }
  }
}
