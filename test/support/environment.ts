/**
 * One call for an end-to-end test's whole environment: the local environment (s3rver and dynalite on free ports,
 * throwaway data, lib/local-stack/local-environment.ts, the same module the local stack runs on), optionally moto, a
 * real PostgreSQL 15 archiving through wal-g-local into the bucket (as `postgres` via runuser when root), the walcat
 * config of one cluster (parsed, and as a file with the environment the CLI needs), the wiring seam's adapter set
 * over the emulators, and one teardown.
 *
 * @example
 * const env = await startTestEnvironment({ name: 'continuity-e2e', postgres: true });
 * await env.primary.query('create table t (id int)');
 * await env.backupPush();
 * await env.switchAndWaitArchived();
 * await env.ingestNew();
 * await env.close();
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { LocalInstanceDirectory } from '../../lib/adapters/local/local-instance-directory.ts';
import { type LocalInstance, LocalShellTransport } from '../../lib/adapters/local/local-shell-transport.ts';
import { S3ObjectStore } from '../../lib/adapters/s3/s3-object-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import { type CommandStatusUpdate, commandStatusUpdateFromEvent } from '../../lib/domain/jobs/command-status.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { localArchiverCommand, WAL_G_LOCAL_BIN } from '../../lib/local-archiver/archiver-command.ts';
import { startLocalEnvironment } from '../../lib/local-stack/local-environment.ts';
import { runningAsRoot } from '../../lib/local-stack/postgres-os-user.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import type { AdapterSet } from '../../lib/wiring/adapter-set.ts';
import { dynaliteClients } from './dynalite.ts';
import { type MotoHandle, startMoto } from './moto.ts';
import { type PgHandle, pgBinDir, runAsPostgres, type StartPostgresOptions, startPostgres } from './postgres.ts';
import { eventRecorder, type S3EventShape, s3rverClient } from './s3rver.ts';
import { runWalcat, type WalcatRun } from './walcat-process.ts';

/** The cluster settings most end-to-end tests use: 1 MiB segments, a small policy, a one-minute upload grace. */
export const DEFAULT_CLUSTER_YAML: readonly string[] = [
  '    walSegmentSize: 1MiB',
  '    retention: { keepLast: 2, pitrWindow: 7d }',
  '    alerts: { uploadGrace: 1m }',
];

/** What the cluster's config lines may refer to: the folder, the primary and the wal-g wrapper on the "hosts". */
export interface EnvironmentPaths {
  readonly root: string;
  readonly primary: PgHandle | undefined;
  readonly walg: string;
}

export interface TestEnvironmentOptions {
  /** Names the temporary folder (`walcat-<name>-`), the catalog table (`walcat-<name>`) and the config source. */
  readonly name: string;
  /** Default `pg-backups`. */
  readonly bucket?: string;
  /** Default `orders-main`. */
  readonly clusterId?: string;
  /** The key prefix of the cluster's storage, `s3://<bucket>/<prefix>`; default the cluster id. */
  readonly prefix?: string;
  /** Create the catalog table (default true); false leaves it to the test (e.g. to `walcat init`). */
  readonly createTable?: boolean;
  /** The cluster entry's lines after `id` and `storage`; default DEFAULT_CLUSTER_YAML. */
  readonly clusterYaml?: (paths: EnvironmentPaths) => readonly string[];
  /** Start a primary archiving into the cluster's storage (with these options), and give it a wal-g wrapper. */
  readonly postgres?: boolean | Omit<StartPostgresOptions, 'root' | 'archiveCommand'>;
  /**
   * Lines of the `wal-g` wrapper's bash script before it execs wal-g-local (e.g. an injected failure, given the
   * environment's folder); the wrapper is `<root>/wal-g`, for the config's `walgBinary`.
   */
  readonly walgPrelude?: (root: string) => readonly string[];
  /** Also start moto's server mode, for what needs AWS semantics. */
  readonly moto?: boolean;
}

export interface TestEnvironment {
  /** A temporary folder every user can traverse (the postgres user runs below it); removed on close. */
  readonly root: string;
  readonly bucket: string;
  readonly s3: {
    readonly endpoint: string;
    readonly client: S3Client;
    /** Every notification s3rver emitted since start, oldest first. */
    events(): readonly S3EventShape[];
  };
  readonly ddb: { readonly endpoint: string; readonly client: DynamoDBDocumentClient };
  /** What wal-g-local needs for the cluster's storage, plus WALG_PG_BIN. */
  readonly archiverEnv: Readonly<Record<string, string>>;
  /** The primary; throws when the environment was started without PostgreSQL. */
  readonly primary: PgHandle;
  /** `<root>/wal-g`, the wrapper the config's host settings name. */
  readonly walg: string;
  readonly config: WalcatConfig;
  readonly cluster: ClusterConfig;
  /** `<root>/walcat.config.yml`: the config above, for the CLI. */
  readonly configPath: string;
  /** The environment the CLI needs to answer from these emulators: endpoints, credentials, WALCAT_CONFIG. */
  readonly cliEnv: Readonly<Record<string, string>>;
  /** The real CLI as its own process against this environment (in `root`). */
  walcat(args: readonly string[]): Promise<WalcatRun>;
  /** The wiring seam's adapters over the emulators (the same the local stack and `walcat --local` use). */
  readonly adapters: AdapterSet;
  /** The adapter set's catalog, its table created unless `createTable: false`. */
  readonly catalog: CatalogStore;
  readonly objects: S3ObjectStore;
  /** Throws when the environment was started without moto. */
  readonly moto: MotoHandle;
  /** Ingests every notification since start (again) into the catalog; expects no failed record. */
  ingestAll(): Promise<void>;
  /** Ingests the notifications that arrived since the last `ingestNew`; expects no failed record. */
  ingestNew(): Promise<void>;
  /** `wal-g-local backup-push` of `server` (default the primary) as postgres; returns the backup's name. */
  backupPush(server?: PgHandle): Promise<string>;
  /** Waits until `server` has archived `file` (through psql, holding no connection, when `viaPsql`). */
  waitArchived(server: PgHandle, file: string, options?: WaitArchivedOptions): Promise<void>;
  /** Switches `server` (default the primary) to a new segment and waits until it archived the one it left. */
  switchAndWaitArchived(server?: PgHandle, options?: WaitArchivedOptions): Promise<string>;
  /**
   * Writes a WAL-G env dir: the archive's settings and PGHOST/PGPORT/PGUSER/PGDATABASE of `server`, as on a
   * database host.
   */
  writeEnvDir(dir: string, server: { readonly socketDir: string; readonly port: number }): void;
  /** The local shell transport over `instances`, its status-change events collected in `events`; closed on close. */
  hostTransport(instances: readonly LocalInstance[]): HostTransport;
  close(): Promise<void>;
}

export interface WaitArchivedOptions {
  readonly viaPsql?: boolean;
  /** Only a segment name as pg_stat_archiver's last archived file counts (not a `.backup` or `.history` file). */
  readonly segmentsOnly?: boolean;
  /** Default 30 s. */
  readonly timeoutMs?: number;
}

export interface HostTransport {
  readonly transport: LocalShellTransport;
  readonly instances: LocalInstanceDirectory;
  /** Status-change events not taken yet, oldest first. */
  readonly events: CommandStatusUpdate[];
}

function missing(what: string, option: string): never {
  throw new Error(`the test environment was started without ${what}: pass ${option} to startTestEnvironment`);
}

export async function startTestEnvironment(options: TestEnvironmentOptions): Promise<TestEnvironment> {
  const bucket = options.bucket ?? 'pg-backups';
  const clusterId = options.clusterId ?? 'orders-main';
  const storage = `s3://${bucket}/${options.prefix ?? clusterId}`;
  const root = mkdtempSync(join(tmpdir(), `walcat-${options.name}-`));
  chmodSync(root, 0o755);
  const closers: (() => Promise<void> | void)[] = [() => rmSync(root, { recursive: true, force: true })];
  const close = async () => {
    for (const closer of closers.splice(0).reverse()) await closer();
  };
  try {
    const [local, moto] = await Promise.all([
      startLocalEnvironment({ buckets: [bucket] }),
      options.moto ? startMoto() : undefined,
    ]);
    closers.push(() => local.close());
    if (moto) closers.push(() => moto.close());
    const recorder = eventRecorder();
    local.onObjectEvent(recorder.record);
    const s3Client = s3rverClient(local.s3Endpoint);
    const ddbClient = dynaliteClients(local.dynamodbEndpoint);
    closers.push(() => {
      s3Client.destroy();
      ddbClient.client.destroy();
      ddbClient.raw.destroy();
    });
    const archiverEnv = { ...local.archiverEnv(storage), WALG_PG_BIN: pgBinDir() };
    const walg = join(root, 'wal-g');
    let primary: PgHandle | undefined;
    if (options.postgres) {
      writeFileSync(
        walg,
        [
          '#!/bin/bash',
          ...(options.walgPrelude?.(root) ?? []),
          `exec ${process.execPath} ${WAL_G_LOCAL_BIN} "$@"`,
          '',
        ].join('\n'),
        { mode: 0o755 },
      );
      primary = await startPostgres({
        walSegmentSizeMiB: 1,
        ...(options.postgres === true ? {} : options.postgres),
        root,
        archiveCommand: localArchiverCommand('wal-push', archiverEnv),
      });
      closers.push(() => primary?.close());
    }
    const table = `walcat-${options.name}`;
    const clusterYaml = options.clusterYaml?.({ root, primary, walg }) ?? DEFAULT_CLUSTER_YAML;
    const configText = [
      `catalogTable: ${table}`,
      'clusters:',
      `  - id: ${clusterId}`,
      `    storage: ${storage}`,
      ...clusterYaml,
    ].join('\n');
    const config = parseWalcatConfig(configText, `${options.name} config`);
    const configPath = join(root, 'walcat.config.yml');
    writeFileSync(configPath, `${configText}\n`);
    const cliEnv = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: root,
      WALCAT_CONFIG: configPath,
      AWS_REGION: local.region,
      AWS_ACCESS_KEY_ID: local.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: local.credentials.secretAccessKey,
      AWS_ENDPOINT_URL_S3: local.s3Endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: local.dynamodbEndpoint,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const cluster = config.clusters[0] as ClusterConfig;
    const adapters = local.adapters(config);
    const catalog = adapters.catalog();
    if (options.createTable !== false) await catalog.ensureTable();
    const objects = new S3ObjectStore(s3Client);
    const ingest = async (events: readonly S3EventShape[]) => {
      const records = events.flatMap((event) => parseIngestInvocation(event));
      const outcome = await ingestObjectEvents(
        { catalog, clusters: [cluster], objects, decompress: historyTextOrUndefined },
        records,
      );
      expect(outcome.failedRecordIds).toEqual([]);
    };
    let ingested = 0;
    const requirePrimary = () => primary ?? missing('PostgreSQL', '{ postgres: true }');
    const waitArchived = async (server: PgHandle, file: string, wait: WaitArchivedOptions = {}) => {
      const deadline = Date.now() + (wait.timeoutMs ?? 30_000);
      for (;;) {
        const last = wait.viaPsql
          ? await server.psql("select coalesce(last_archived_wal, '') from pg_stat_archiver")
          : ((await server.query<{ last: string | null }>('select last_archived_wal as last from pg_stat_archiver'))[0]
              ?.last ?? '');
        // A `.backup` file archived after the segment names it and sorts after it, so it counts unless segmentsOnly.
        if (last !== '' && (!wait.segmentsOnly || last.length === 24) && last >= file) return;
        if (Date.now() > deadline) {
          throw new Error(`segment ${file} was not archived (last ${last}); log:\n${server.log().slice(-2000)}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    return {
      root,
      bucket,
      s3: { endpoint: local.s3Endpoint, client: s3Client, events: recorder.events },
      ddb: { endpoint: local.dynamodbEndpoint, client: ddbClient.client },
      archiverEnv,
      get primary() {
        return requirePrimary();
      },
      walg,
      config,
      cluster,
      configPath,
      cliEnv,
      walcat: (args) => runWalcat(args, { env: cliEnv, cwd: root }),
      adapters,
      catalog,
      objects,
      get moto() {
        return moto ?? missing('moto', '{ moto: true }');
      },
      ingestAll: () => ingest(recorder.events()),
      async ingestNew() {
        const events = recorder.events().slice(ingested);
        ingested += events.length;
        await ingest(events);
      },
      async backupPush(server = requirePrimary()) {
        const pushed = await runAsPostgres(process.execPath, [WAL_G_LOCAL_BIN, 'backup-push', server.dataDir], {
          env: { ...archiverEnv, ...server.env },
        });
        return pushed.stdout.trim();
      },
      waitArchived,
      async switchAndWaitArchived(server = requirePrimary(), wait = {}) {
        const file = wait.viaPsql
          ? await server.psql('select pg_walfile_name(pg_switch_wal())')
          : ((await server.query<{ file: string }>('select pg_walfile_name(pg_switch_wal()) as file'))[0]?.file ?? '');
        await waitArchived(server, file, wait);
        return file;
      },
      writeEnvDir(dir, server) {
        mkdirSync(dir, { recursive: true });
        const env = {
          ...archiverEnv,
          PGHOST: server.socketDir,
          PGPORT: String(server.port),
          PGUSER: 'postgres',
          PGDATABASE: 'postgres',
        };
        for (const [key, value] of Object.entries(env)) {
          writeFileSync(join(dir, key), `${value}\n`, { mode: 0o644 });
        }
        chmodSync(dir, 0o755);
      },
      hostTransport(instances) {
        const transport = new LocalShellTransport({
          instances,
          workDir: join(root, 'transport'),
          baseEnv: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
        });
        // Closed before PostgreSQL and the emulators: its commands may still talk to both.
        closers.push(() => transport.close());
        const events: CommandStatusUpdate[] = [];
        transport.subscribe((event) => {
          events.push(commandStatusUpdateFromEvent(event));
        });
        return { transport, instances: new LocalInstanceDirectory(instances), events };
      },
      close,
    };
  } catch (error) {
    await close().catch(() => undefined);
    throw error;
  }
}

/** Gives `path` (recursively) to the postgres user when the tests run as root, as a database host's files are. */
export function chownToPostgres(path: string): void {
  if (!runningAsRoot) return;
  const result = spawnSync('chown', ['-R', 'postgres:postgres', path], { stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`chown postgres ${path} failed`);
}
