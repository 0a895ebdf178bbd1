/**
 * In-process s3rver for tests: one emulator per test file, on a free port, in a temporary directory.
 *
 * @example
 * const s3 = await startS3rver({ buckets: ['wal-bucket'] });
 * await s3.client.send(new PutObjectCommand({ Bucket: 'wal-bucket', Key: 'k', Body: 'v' }));
 * await s3.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { LOCAL_REGION, S3RVER_CREDENTIALS, startLocalS3 } from '../../lib/local-stack/local-emulators.ts';

export { S3RVER_CREDENTIALS };

/** The notification JSON s3rver emits: the same `{ Records: [...] }` shape S3 delivers to an `S3Event` handler. */
export type S3EventShape = S3Event;

export interface S3rverHandle {
  /** `http://127.0.0.1:<port>`, usable as `AWS_ENDPOINT_URL_S3`. */
  readonly endpoint: string;
  readonly port: number;
  /** Path-style, checksums only when required, credentials S3RVER/S3RVER, region us-east-1. */
  readonly client: S3Client;
  /** Calls `cb` for every notification s3rver emits from now on; returns the unsubscribe function. */
  onEvent(cb: (event: S3EventShape) => void): () => void;
  /** Every notification seen since start, oldest first (Put, Copy, single Delete, multipart `Post`; not DeleteObjects). */
  events(): readonly S3EventShape[];
  /** Destroys the client, closes the server and removes the directory. */
  close(): Promise<void>;
}

export interface StartS3rverOptions {
  /** Buckets created before the server accepts requests. */
  readonly buckets?: readonly string[];
  /** Storage directory; a fresh temporary directory (removed on close) when absent. */
  readonly directory?: string;
}

/** An S3 client for `endpoint` as the product builds it, with the credentials s3rver knows. */
export function s3rverClient(endpoint: string): S3Client {
  return createS3Client({ region: LOCAL_REGION, s3: endpoint, credentials: S3RVER_CREDENTIALS });
}

/**
 * Records every notification and fans it out to subscribers: what a test reads back with `events()` and `onEvent`.
 */
export function eventRecorder(): {
  readonly record: (event: unknown) => void;
  readonly onEvent: S3rverHandle['onEvent'];
  readonly events: S3rverHandle['events'];
} {
  const seen: S3EventShape[] = [];
  const listeners = new Set<(event: S3EventShape) => void>();
  return {
    record(event) {
      seen.push(event as S3EventShape);
      for (const listener of listeners) listener(event as S3EventShape);
    },
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    events: () => seen,
  };
}

export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'walcat-s3rver-'));
  const recorder = eventRecorder();
  let server: Awaited<ReturnType<typeof startLocalS3>>;
  try {
    server = await startLocalS3({
      port: 0,
      directory,
      buckets: options.buckets ?? [],
      resetOnClose: true,
      onEvent: recorder.record,
    });
  } catch (error) {
    if (ownDirectory) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const client = s3rverClient(server.endpoint);
  return {
    endpoint: server.endpoint,
    port: server.port,
    client,
    onEvent: recorder.onEvent,
    events: recorder.events,
    async close() {
      client.destroy();
      await server.close();
      if (ownDirectory) rmSync(directory, { recursive: true, force: true });
    },
  };
}
