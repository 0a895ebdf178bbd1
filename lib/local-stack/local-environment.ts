/**
 * The one environment walcat runs on without AWS: s3rver and dynalite in this process, the adapter set of the wiring
 * seam over their endpoints, what wal-g-local needs to archive into the bucket, and an archiving PostgreSQL 15
 * primary (lib/local-stack/local-postgres.ts, as `postgres` via runuser when root). Persistent (the local stack: the
 * data lives under its folder on fixed ports, so a restart keeps bucket, catalog and database) or temporary (free
 * ports, dynalite in memory, the rest in a fresh folder removed on close). The end-to-end tests start it too
 * (test/support/environment.ts), with their own PostgreSQL handles.
 *
 * @example
 * const env = await startLocalEnvironment({ buckets: ['pg-backups'] });
 * const adapters = env.adapters(config);
 * await adapters.catalog().ensureTable();
 * await env.close();
 */

import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WalcatConfig } from '../domain/cluster.ts';
import { WAL_G_LOCAL_BIN } from '../local-archiver/archiver-command.ts';
import type { AdapterSet } from '../wiring/adapter-set.ts';
import { type LocalAdapterSetOptions, type LocalEndpoints, localAdapterSet } from '../wiring/local-adapter-set.ts';
import { LOCAL_REGION, S3RVER_CREDENTIALS, startLocalDynamoDb, startLocalS3 } from './local-emulators.ts';
import { checkPostgresPrerequisites, type LocalPostgres, startLocalPostgres } from './local-postgres.ts';

export interface LocalEnvironmentOptions {
  /** Keep bucket, catalog and database under this folder (`s3/`, `dynamodb/`, `pg/`); absent: throwaway data. */
  readonly directory?: string;
  /** Buckets s3rver creates before it accepts requests. */
  readonly buckets: readonly string[];
  /** Fixed ports (the local stack's); absent: free ones. */
  readonly ports?: { readonly s3?: number; readonly dynamodb?: number };
}

export interface LocalEnvironment {
  /** The folder holding the data: the given one, or the temporary one (removed on close). */
  readonly directory: string;
  /** `http://127.0.0.1:<port>` of s3rver, usable as `AWS_ENDPOINT_URL_S3`. */
  readonly s3Endpoint: string;
  /** `http://127.0.0.1:<port>` of dynalite, usable as `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly dynamodbEndpoint: string;
  readonly region: string;
  /** The credentials both emulators accept (s3rver knows only this access key; dynalite takes any). */
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  /** The endpoints as the wiring seam and `stack.json` take them. */
  readonly endpoints: LocalEndpoints;
  /**
   * Calls `listener` for every object notification s3rver emits from now on (Put, Copy, multipart Post, single
   * Delete: not batch DeleteObjects), in the S3 notification JSON; returns the unsubscribe function.
   */
  onObjectEvent(listener: (event: unknown) => void): () => void;
  /** What wal-g-local needs to reach `storage` (`s3://bucket/prefix`) on this s3rver: for archive_command and env dirs. */
  archiverEnv(storage: string): Record<string, string>;
  /** The wiring seam's adapter set over these emulators (and, in the stack's process, its transport and receiver). */
  adapters(config: WalcatConfig, options?: Omit<LocalAdapterSetOptions, 'config' | 'stack'>): AdapterSet;
  /**
   * Initializes (first use) and starts the folder's PostgreSQL 15 primary on `port`, archiving every segment through
   * wal-g-local into `storage`; stopped on close if still running.
   *
   * @throws LocalStackSetupError naming what is missing (the binaries, the postgres user, a folder it cannot reach).
   */
  startPostgres(options: { readonly port: number; readonly storage: string }): Promise<LocalPostgres>;
  /** Stops PostgreSQL, closes the adapter sets it built, then s3rver and dynalite; removes throwaway data. */
  close(): Promise<void>;
}

export async function startLocalEnvironment(options: LocalEnvironmentOptions): Promise<LocalEnvironment> {
  const persistent = options.directory !== undefined;
  const directory = options.directory ?? mkdtempSync(join(tmpdir(), 'walcat-env-'));
  // PostgreSQL runs as postgres when root, and must traverse the folder (mkdtemp makes it 0700).
  if (!persistent) chmodSync(directory, 0o755);
  const listeners = new Set<(event: unknown) => void>();
  const started: { close(): Promise<void> }[] = [];
  const removeThrowaway = () => {
    if (!persistent) rmSync(directory, { recursive: true, force: true });
  };
  try {
    const dynamodb = await startLocalDynamoDb({
      port: options.ports?.dynamodb ?? 0,
      ...(persistent ? { directory: join(directory, 'dynamodb') } : {}),
    });
    started.push(dynamodb);
    const s3 = await startLocalS3({
      port: options.ports?.s3 ?? 0,
      directory: join(directory, 's3'),
      buckets: options.buckets,
      resetOnClose: !persistent,
      onEvent: (event) => {
        for (const listener of listeners) listener(event);
      },
    });
    started.push(s3);
    const endpoints: LocalEndpoints = {
      s3Endpoint: s3.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      region: LOCAL_REGION,
      s3Credentials: { ...S3RVER_CREDENTIALS },
    };
    const adapterSets: AdapterSet[] = [];
    const archiverEnv = (storage: string) => ({
      WALG_S3_PREFIX: storage,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    let postgres: LocalPostgres | undefined;
    return {
      directory,
      s3Endpoint: s3.endpoint,
      dynamodbEndpoint: dynamodb.endpoint,
      region: LOCAL_REGION,
      credentials: S3RVER_CREDENTIALS,
      endpoints,
      onObjectEvent(listener) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      archiverEnv,
      async startPostgres({ port, storage }) {
        checkPostgresPrerequisites(directory, WAL_G_LOCAL_BIN);
        postgres = await startLocalPostgres({ dir: directory, port, archiverEnv: archiverEnv(storage) });
        return postgres;
      },
      adapters(config, more = {}) {
        const set = localAdapterSet({ ...more, config, stack: endpoints });
        adapterSets.push(set);
        return set;
      },
      async close() {
        await postgres?.stop();
        for (const set of adapterSets.splice(0)) set.close();
        listeners.clear();
        for (const server of started.splice(0).reverse()) await server.close();
        removeThrowaway();
      },
    };
  } catch (error) {
    for (const server of started.reverse()) await server.close().catch(() => undefined);
    removeThrowaway();
    throw error;
  }
}
