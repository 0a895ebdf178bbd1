/**
 * s3rver (optionally over TLS) and dynalite for the peer benchmark, each counting the HTTP requests it serves: the
 * count is taken in the server's own `request` event, so it is what went over the wire, whichever process sent it
 * (pgBackRest, the walcat CLI, the bench itself).
 *
 * @example
 * const s3 = await startCountingS3rver({ directory, buckets: ['b'], tls: selfSignedCertificate(tmp) });
 * const before = s3.requests.total; ... ; s3.requests.total - before
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { applyDesCipherAlias } from '../../lib/local-stack/des-cipher-alias.ts';

export interface RequestCounter {
  total: number;
  /** By HTTP method (S3: GET, HEAD, PUT...; DynamoDB: the X-Amz-Target operation). */
  readonly byKind: Record<string, number>;
}

export interface CountingServer {
  readonly endpoint: string;
  readonly port: number;
  readonly requests: RequestCounter;
  close(): Promise<void>;
}

/** Plain JS items (as the document client takes them) for one table. */
export type BulkItems = readonly Record<string, unknown>[];

export interface CountingDynalite extends CountingServer {
  /**
   * Puts the items into `tableName` through dynalite's own BatchWriteItem action, 25 to a call, in this process and
   * without HTTP: the table ends up exactly as BatchWriteItem requests would leave it (same validation, same index
   * entries), for a fraction of the CPU (no SDK serialization, signing or HTTP parsing on either side). Not counted
   * in `requests`: it is set-up, not something a measured program sends.
   */
  bulkPut(tableName: string, items: BulkItems): Promise<void>;
}

export interface TlsFiles {
  readonly key: Buffer;
  readonly cert: Buffer;
}

/** A throwaway self-signed certificate for 127.0.0.1, made with the openssl command into `directory`. */
export function selfSignedCertificate(directory: string): TlsFiles {
  const keyPath = join(directory, 'key.pem');
  const certPath = join(directory, 'cert.pem');
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
  } catch (error) {
    throw new Error(
      `openssl req -x509 into ${directory} failed (${String(error)}): install the Debian package openssl, which the peer benchmark needs to serve S3 over TLS`,
    );
  }
  return { key: readFileSync(keyPath), cert: readFileSync(certPath) };
}

function counter(): RequestCounter {
  return { total: 0, byKind: {} };
}

function count(requests: RequestCounter, kind: string): void {
  requests.total++;
  requests.byKind[kind] = (requests.byKind[kind] ?? 0) + 1;
}

interface ListResult {
  commonPrefixes: string[];
}
interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  httpServer?: Server;
  store: { listObjects(bucket: string, options: Record<string, unknown>): Promise<ListResult> };
}

/**
 * s3rver 3.7.1's filesystem store reports a common prefix only for a folder that holds an object directly: it prunes
 * the walk below the first delimiter, so `archive/<stanza>/` with delimiter `/` misses `15-1/` (whose objects are one
 * folder deeper) and `pgbackrest verify` finds "no archives". S3 reports every prefix that has an object anywhere
 * below it; this adds the folders s3rver skipped (s3rver removes folders that become empty, so a folder on disk has
 * an object below it).
 */
function reportEveryCommonPrefix(server: S3rverServer, directory: string): void {
  const store = server.store;
  const original = store.listObjects.bind(store);
  store.listObjects = async (bucket, options) => {
    const result = await original(bucket, options);
    const delimiter = typeof options.delimiter === 'string' ? options.delimiter : '';
    if (delimiter !== '/') return result;
    const prefix = typeof options.prefix === 'string' ? options.prefix : '';
    const startAfter = typeof options.startAfter === 'string' ? options.startAfter : '';
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const partial = prefix.slice(folder.length);
    const folderPath = join(directory, bucket, folder);
    if (!existsSync(folderPath)) return result;
    const prefixes = new Set(result.commonPrefixes);
    for (const entry of readdirSync(folderPath, { withFileTypes: true })) {
      const commonPrefix = `${folder}${entry.name}/`;
      if (entry.isDirectory() && entry.name.startsWith(partial) && commonPrefix > startAfter)
        prefixes.add(commonPrefix);
    }
    result.commonPrefixes = [...prefixes].sort();
    return result;
  };
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverServer;

export interface CountingS3rverOptions {
  /** s3rver's filesystem store; the caller owns (and removes) it. */
  readonly directory: string;
  readonly buckets: readonly string[];
  /** Serve https with this key and certificate (pgBackRest talks to S3 over TLS only). */
  readonly tls?: TlsFiles;
}

export async function startCountingS3rver(options: CountingS3rverOptions): Promise<CountingServer> {
  applyDesCipherAlias();
  const S3rver = createRequire(import.meta.url)('s3rver') as S3rverConstructor;
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    configureBuckets: options.buckets.map((name) => ({ name })),
    ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
  });
  reportEveryCommonPrefix(server, options.directory);
  const { port } = await server.run();
  const requests = counter();
  server.httpServer?.on('request', (request: IncomingMessage) => count(requests, request.method ?? '?'));
  return {
    endpoint: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    requests,
    async close() {
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;
/** dynalite's store (its LevelDB and tables), which every action takes first. */
type DynaliteStore = object;
type DynaliteAction = (store: DynaliteStore, data: unknown, done: (error: unknown) => void) => void;

type AttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: AttributeValue[] }
  | { M: Record<string, AttributeValue> };

/** A plain value in DynamoDB's wire form, as the document client writes it (undefined attributes left out). */
function attributeValue(value: unknown): AttributeValue {
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (value === null) return { NULL: true };
  if (Array.isArray(value)) return { L: value.map(attributeValue) };
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return { M: attributeMap(value as Record<string, unknown>) };
  throw new Error(`bulkPut takes strings, numbers, booleans, null, lists and plain objects, not ${String(value)}`);
}

function attributeMap(item: Record<string, unknown>): Record<string, AttributeValue> {
  const map: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(item)) if (value !== undefined) map[name] = attributeValue(value);
  return map;
}

/** Items per BatchWriteItem call, DynamoDB's limit. */
const BULK_BATCH = 25;

/**
 * dynalite and its store: dynalite builds the store inside its factory (`db.create`) and keeps it to itself, so the
 * factory is called with `db.create` briefly wrapped to see the store it made.
 */
function dynaliteWithStore(options: Record<string, unknown>): { server: Server; store: DynaliteStore } {
  const require = createRequire(import.meta.url);
  const db = require('dynalite/db') as { create: (options: unknown) => DynaliteStore };
  const create = db.create;
  let store: DynaliteStore | undefined;
  db.create = (createOptions) => {
    store = create(createOptions);
    return store;
  };
  try {
    const server = (require('dynalite') as DynaliteFactory)(options);
    if (store === undefined) throw new Error('dynalite did not create its store through dynalite/db create()');
    return { server, store };
  } finally {
    db.create = create;
  }
}

/** In-memory dynalite counting requests by DynamoDB operation (the `X-Amz-Target` header). */
export async function startCountingDynalite(): Promise<CountingDynalite> {
  const { server, store } = dynaliteWithStore({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const batchWriteItem = createRequire(import.meta.url)('dynalite/actions/batchWriteItem') as DynaliteAction;
  const batchWrite = (tableName: string, items: BulkItems) =>
    new Promise<void>((resolve, reject) => {
      const requests = items.map((item) => ({
        PutRequest: { Item: attributeMap(item) },
      }));
      batchWriteItem(store, { RequestItems: { [tableName]: requests } }, (error) => {
        if (error) {
          const body = (error as { body?: { message?: string } }).body;
          reject(new Error(`dynalite BatchWriteItem into ${tableName}: ${body?.message ?? String(error)}`));
        } else resolve();
      });
    });
  const requests = counter();
  server.on('request', (request: IncomingMessage) => {
    const target = request.headers['x-amz-target'];
    count(requests, typeof target === 'string' ? (target.split('.').pop() ?? target) : '?');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not report a TCP port');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    port: address.port,
    requests,
    async bulkPut(tableName, items) {
      for (let start = 0; start < items.length; start += BULK_BATCH)
        await batchWrite(tableName, items.slice(start, start + BULK_BATCH));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
