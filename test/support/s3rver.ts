/**
 * In-process s3rver for tests: one emulator per test file, on a free port, in a temporary directory.
 *
 * @example
 * const s3 = await startS3rver({ buckets: ['wal-bucket'] });
 * await s3.client.send(new PutObjectCommand({ Bucket: 'wal-bucket', Key: 'k', Body: 'v' }));
 * await s3.close();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';
import { createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { applyDesCipherAlias } from '../../lib/local-stack/des-cipher-alias.ts';

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

/** The S3 credentials s3rver 3.7.1 knows (it rejects unknown access keys but does not verify signatures). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: S3EventShape) => void): void;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverServer;

export async function startS3rver(options: StartS3rverOptions = {}): Promise<S3rverHandle> {
  applyDesCipherAlias();
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const ownDirectory = options.directory === undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'walcat-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    resetOnClose: true,
    configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
  });
  const seen: S3EventShape[] = [];
  const listeners = new Set<(event: S3EventShape) => void>();
  server.on('event', (event) => {
    seen.push(event);
    for (const listener of listeners) listener(event);
  });
  let port: number;
  try {
    ({ port } = await server.run());
  } catch (error) {
    if (ownDirectory) rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  const client = createS3Client({ region: 'us-east-1', s3: endpoint, credentials: S3RVER_CREDENTIALS });
  return {
    endpoint,
    port,
    client,
    onEvent(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    events: () => seen,
    async close() {
      client.destroy();
      // Keep-alive sockets of other clients would otherwise hold the close open.
      server.httpServer?.closeAllConnections();
      await server.close();
      if (ownDirectory) rmSync(directory, { recursive: true, force: true });
    },
  };
}
