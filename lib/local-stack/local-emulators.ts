/**
 * The AWS stand-ins, in this process: s3rver (S3, with real object notifications) and dynalite (DynamoDB). The local
 * stack keeps their data under its folder so a restart keeps bucket and catalog; tests start them on free ports with
 * throwaway data (lib/local-stack/local-environment.ts starts both for either).
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { applyDesCipherAlias } from './des-cipher-alias.ts';
import { LocalStackSetupError } from './local-stack-errors.ts';
import { listenOnLoopback } from './loopback-listener.ts';

/** The only credentials s3rver 3.7.1 accepts (it does not verify signatures, but rejects unknown access keys). */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
/** dynalite accepts any credentials; fixed ones keep the SDK from searching the credential chain. */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'walcat-local', secretAccessKey: 'walcat-local' } as const;
export const LOCAL_REGION = 'us-east-1';

const require = createRequire(import.meta.url);

interface S3rverServer {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
  on(event: 'event', listener: (event: unknown) => void): void;
  httpServer?: Server;
}
type S3rverConstructor = new (options: Record<string, unknown>) => S3rverServer;
type DynaliteFactory = (options: Record<string, unknown>) => Server;

export interface LocalS3 {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

function packageMissing(name: string, error: unknown): LocalStackSetupError {
  return new LocalStackSetupError(
    `the ${name} package is not installed: run \`npm ci\` (the local stack uses the development dependencies)`,
    { cause: error },
  );
}

/**
 * Starts s3rver on 127.0.0.1:`port` (0: a free one) with its files under `directory` (kept on close unless
 * `resetOnClose`), creating `buckets`, and passes every object notification it emits (Put, Copy, multipart Post,
 * single Delete: not batch DeleteObjects) to `onEvent`, in the S3 notification JSON shape.
 */
export async function startLocalS3(options: {
  readonly port: number;
  readonly directory: string;
  readonly buckets: readonly string[];
  readonly onEvent: (event: unknown) => void;
  readonly resetOnClose?: boolean;
}): Promise<LocalS3> {
  applyDesCipherAlias();
  let S3rver: S3rverConstructor;
  try {
    S3rver = require('s3rver') as S3rverConstructor;
  } catch (error) {
    throw packageMissing('s3rver', error);
  }
  const server = new S3rver({
    port: options.port,
    address: '127.0.0.1',
    silent: true,
    directory: options.directory,
    resetOnClose: options.resetOnClose ?? false,
    configureBuckets: options.buckets.map((name) => ({ name })),
  });
  server.on('event', options.onEvent);
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    async close() {
      // Keep-alive sockets of clients would otherwise hold the close open.
      server.httpServer?.closeAllConnections();
      await server.close();
    },
  };
}

export interface LocalDynamoDb {
  readonly endpoint: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts dynalite on 127.0.0.1:`port` (0: a free one), its LevelDB under `directory` (absent: in memory), tables
 * created without delay.
 */
export async function startLocalDynamoDb(options: {
  readonly port: number;
  readonly directory?: string;
}): Promise<LocalDynamoDb> {
  let dynalite: DynaliteFactory;
  try {
    dynalite = require('dynalite') as DynaliteFactory;
  } catch (error) {
    throw packageMissing('dynalite', error);
  }
  const server = dynalite({
    ...(options.directory === undefined ? {} : { path: options.directory }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const { port, close } = await listenOnLoopback(server, options.port);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    port,
    close,
  };
}
