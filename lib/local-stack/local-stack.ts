import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseRestoreOrchestratorInput } from '../adapters/events/restore-orchestrator-events.ts';
import { LocalInstanceDirectory } from '../adapters/local/local-instance-directory.ts';
import { LocalShellTransport } from '../adapters/local/local-shell-transport.ts';
import type { LocalStackInfo, LocalStackSettings } from '../config/config-local-stack.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { backupFinishedAt, isCompleteBackup } from '../domain/continuity/pitr-chain-base.ts';
import { commandStatusUpdateFromEvent } from '../domain/jobs/command-status.ts';
import type { Job } from '../domain/jobs/job.ts';
import { WAL_G_LOCAL_BIN } from '../local-archiver/archiver-command.ts';
import { dispatchBackup, requireHosts } from '../use-cases/dispatch-backup.ts';
import { orchestrateRestore } from '../use-cases/orchestrate-restore.ts';
import { runScheduledRetention } from '../use-cases/scheduled-retention.ts';
import { syncCatalog } from '../use-cases/sync-catalog.ts';
import { trackCommandStatus } from '../use-cases/track-command-status.ts';
import { watchClusterWal } from '../use-cases/watch-wal.ts';
import type { JobView } from '../web-view/cluster-view.ts';
import { hostJobView } from '../web-view/host-job-view.ts';
import { restoreJobView } from '../web-view/restore-job-view.ts';
import { createWebViewApp } from '../web-view/web-view-app.ts';
import { localAdapterSet } from '../wiring/local-adapter-set.ts';
import { startDemoWorkload } from './demo-workload.ts';
import {
  LOCAL_BUCKET,
  LOCAL_CATALOG_TABLE,
  LOCAL_CLUSTER_ID,
  LOCAL_PREFIX,
  writeLocalClusterFiles,
} from './local-cluster-files.ts';
import { LOCAL_REGION, S3RVER_CREDENTIALS, startLocalDynamoDb, startLocalS3 } from './local-emulators.ts';
import { startLocalEventIngest } from './local-event-ingest.ts';
import { LocalJobLog } from './local-job-log.ts';
import { chooseLocalPorts } from './local-ports.ts';
import {
  checkPostgresPrerequisites,
  localOsUser,
  localPostgresPaths,
  PG15_BIN_DIR,
  startLocalPostgres,
  stopLeftoverPostgres,
} from './local-postgres.ts';
import { startLocalSsmEndpoint } from './local-ssm-endpoint.ts';
import { LocalStackSetupError } from './local-stack-errors.ts';
import { type Schedules, startSchedules } from './scheduled-runs.ts';
import { startSlackReceiver } from './slack-receiver.ts';
import { startWebViewServer } from './web-view-server.ts';

export const STACK_FILE = 'stack.json';
/** What `--fresh` removes: only what the stack itself creates in its folder, never anything else there. */
const STACK_ENTRIES = ['s3', 'dynamodb', 'pg', 'walg-env', 'host-commands', 'walcat.config.yml', STACK_FILE];
/** The instance id of this machine as the demo cluster's host. */
export const LOCAL_INSTANCE_ID = 'i-local-demo';
/** The line a script waits for: everything is up. */
export const READY_LINE = 'walcat local: ready';

export interface LocalStackOptions {
  readonly settings: LocalStackSettings;
  /** Remove the stack's data (bucket, catalog, database) and start over. */
  readonly fresh: boolean;
  /** Minutes between scheduled backups (one runs right after start). */
  readonly backupEveryMinutes: number;
  /** One readable line at a time, for the terminal. */
  readonly print: (line: string) => void;
  /** How the CLI is invoked in the hints (default `node bin/walcat.mjs`). */
  readonly cliName?: string;
  /** Shorter timer periods for tests (default {@link SCHEDULE_MS}). */
  readonly scheduleMs?: Partial<Record<keyof typeof SCHEDULE_MS, number>>;
}

export interface RunningLocalStack {
  readonly info: LocalStackInfo;
  /** Stops everything (timers, workload, PostgreSQL, servers) and removes stack.json; safe to call twice. */
  stop(): Promise<void>;
}

export const SCHEDULE_MS = {
  walWatch: 15_000,
  catalogSync: 5 * 60_000,
  retention: 10 * 60_000,
} as const;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Refuses to start a second stack on the same folder; a stack.json left by a killed stack is ignored. */
function assertNoRunningStack(dir: string): void {
  const file = join(dir, STACK_FILE);
  if (!existsSync(file)) return;
  let pid: number | undefined;
  try {
    pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: number }).pid;
  } catch {
    pid = undefined;
  }
  if (pid !== undefined && pid !== process.pid && isAlive(pid)) {
    throw new LocalStackSetupError(
      `a local stack already runs on ${dir} (pid ${pid}): use it, stop it with Ctrl-C in its terminal, or give this one another folder with WALCAT_LOCAL_DIR`,
    );
  }
}

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

export async function startLocalStack(options: LocalStackOptions): Promise<RunningLocalStack> {
  const began = Date.now();
  const { print } = options;
  const dir = options.settings.dir;
  assertNoRunningStack(dir);
  if (options.fresh && existsSync(dir)) {
    await stopLeftoverPostgres(dir);
    for (const entry of STACK_ENTRIES) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // As root PostgreSQL runs as postgres, which must traverse the folder whatever the umask made of it.
  if (process.getuid?.() === 0) chmodSync(dir, 0o755);
  checkPostgresPrerequisites(dir, WAL_G_LOCAL_BIN);
  const ports = await chooseLocalPorts(options.settings.portBase);

  // Everything started so far, stopped in reverse order if a later step fails or on stop().
  const closers: { name: string; close: () => Promise<void> }[] = [];
  const closeAll = async () => {
    for (const closer of closers.reverse()) {
      await closer.close().catch((error: unknown) => {
        print(`[stop] ${closer.name}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    closers.length = 0;
  };

  try {
    const s3Endpoint = `http://127.0.0.1:${ports.s3}`;
    // What wal-g-local needs to reach the bucket, in archive_command and (with the libpq settings) in the env dir.
    const archiverEnv = {
      WALG_S3_PREFIX: `s3://${LOCAL_BUCKET}/${LOCAL_PREFIX}`,
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
      AWS_REGION: LOCAL_REGION,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    const pgPaths = localPostgresPaths(dir);
    const osUser = localOsUser();
    const files = writeLocalClusterFiles({
      dir,
      pgDataDir: pgPaths.dataDir,
      osUser,
      walgLocalBin: WAL_G_LOCAL_BIN,
      backupEveryMinutes: options.backupEveryMinutes,
      walgEnv: {
        ...archiverEnv,
        PGHOST: pgPaths.socketDir,
        PGPORT: String(ports.postgres),
        PGUSER: 'postgres',
        PGDATABASE: 'postgres',
        WALG_PG_BIN: PG15_BIN_DIR,
      },
    });
    const config = files.config;
    const cluster = config.clusters[0] as ClusterConfig;

    const hostTarget = requireHosts(cluster).target;
    // The host the demo cluster's tag resolves to: this machine, running host scripts as SSM would on the primary.
    const instances = [{ instanceId: LOCAL_INSTANCE_ID, tags: { [hostTarget.tagKey]: hostTarget.tagValue } }];
    const transport = new LocalShellTransport({
      workDir: join(dir, 'host-commands'),
      baseEnv: options.settings.hostEnv,
      instances,
    });
    closers.push({ name: 'local shell transport', close: () => transport.close() });

    const dynamo = await startLocalDynamoDb({ port: ports.dynamodb, directory: join(dir, 'dynamodb') });
    closers.push({ name: 'dynalite', close: () => dynamo.close() });
    let slackUrl = '';
    // The one wiring seam, over the emulators, the local shell transport and (once it listens) the Slack receiver.
    const adapters = localAdapterSet({
      config,
      stack: { s3Endpoint, dynamodbEndpoint: dynamo.endpoint, region: LOCAL_REGION, s3Credentials: S3RVER_CREDENTIALS },
      transport,
      instances: new LocalInstanceDirectory(instances),
      slackUrl: () => slackUrl,
      metrics: { record: () => {} },
    });
    closers.push({ name: 'AWS clients', close: async () => adapters.close() });
    const catalog = adapters.catalog();
    await catalog.ensureTable();
    const ingest = startLocalEventIngest(adapters.ingest(), print);
    const s3 = await startLocalS3({
      port: ports.s3,
      directory: join(dir, 's3'),
      buckets: [LOCAL_BUCKET],
      onEvent: (event) => ingest.accept(event),
    });
    closers.push({ name: 's3rver', close: () => s3.close() });
    closers.push({ name: 'ingest', close: () => ingest.stop() });

    const slack = await startSlackReceiver({ port: ports.slack, print });
    slackUrl = slack.url;
    closers.push({ name: 'Slack receiver', close: () => slack.close() });

    const pg = await startLocalPostgres({
      dir,
      port: ports.postgres,
      archiverEnv,
    });
    closers.push({ name: 'PostgreSQL', close: () => pg.stop() });

    // `walcat --local backup` in a second terminal reaches the transport through the CLI's own SSM adapter.
    const ssm = await startLocalSsmEndpoint({
      port: ports.ssm,
      transport,
      instances,
      parameterValue: () => slack.url,
    });
    closers.push({ name: 'SSM endpoint', close: () => ssm.close() });
    const hostJobs = adapters.hostCommands().jobs;
    const reportHostJob = async (job: Job) => {
      const seconds = ((job.finishedAt ?? new Date()).getTime() - job.createdAt.getTime()) / 1000;
      if (job.type !== 'backup-push' || job.state !== 'success') {
        print(
          `[${job.type}] ${job.cluster}: job ${job.id} ${job.state} after ${seconds.toFixed(1)} s: ${job.outcome ?? ''}`,
        );
        return;
      }
      await ingest.flush();
      const newest = (await catalog.listBackups(cluster.id))
        .filter(isCompleteBackup)
        .sort((a, b) => backupFinishedAt(b).getTime() - backupFinishedAt(a).getTime())[0];
      print(
        `[backup] ${job.cluster}: backup-push succeeded in ${seconds.toFixed(1)} s on ${job.host ?? LOCAL_INSTANCE_ID}${newest ? `: ${newest.name} complete` : ''}`,
      );
    };

    const restoreJobs = adapters.restoreJobs();
    const restoreDeps = adapters.orchestrator();
    // Every status-change event goes to the job tracker and to the restore orchestrator, as the EventBridge rules
    // route SSM events to both Lambdas; each ignores the other's commands. A failure is printed, never thrown: the
    // transport delivers events without waiting, and the next event or the stuck-job watchdog catches up.
    const failed = (who: string) => (error: unknown) =>
      print(`[${who}] could not apply a command status: ${error instanceof Error ? error.message : String(error)}`);
    transport.subscribe((event) =>
      trackCommandStatus(adapters.tracker(), commandStatusUpdateFromEvent(event))
        .then((outcome) => (outcome.kind === 'applied' && outcome.finished ? reportHostJob(outcome.job) : undefined))
        .catch(failed('job-tracker')),
    );
    transport.subscribe((event) =>
      orchestrateRestore(restoreDeps, parseRestoreOrchestratorInput(event))
        .then((outcome) => {
          if (outcome.kind === 'advanced' && outcome.jobId !== undefined) {
            print(`[restore] job ${outcome.jobId}: ${outcome.transition}`);
          } else if (outcome.kind === 'refused') {
            print(`[restore] refused: ${outcome.reason}`);
          }
        })
        .catch(failed('restore-orchestrator')),
    );
    const jobs = new LocalJobLog();
    // Backups (host jobs), the stack's retention runs, and restores and drills from `walcat --local restore`.
    const jobViews = async (of: ClusterConfig): Promise<JobView[]> =>
      [
        ...jobs.list(),
        ...(await hostJobs.list(of.id, { limit: 20 })).map(hostJobView),
        ...(await restoreJobs.list(of.id, { limit: 20 })).map(restoreJobView),
      ].sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    const web = await startWebViewServer({
      port: ports.web,
      app: createWebViewApp({
        clusters: config.clusters,
        deps: { ...adapters.webView(), jobs: jobViews },
        now: () => new Date(),
        refreshSeconds: 15,
        onError: (error) => print(`[web] ${error instanceof Error ? error.message : String(error)}`),
      }),
    });
    closers.push({ name: 'web view', close: () => web.close() });

    const info: LocalStackInfo = {
      configPath: files.configPath,
      s3Endpoint,
      dynamodbEndpoint: dynamo.endpoint,
      webUrl: web.url,
      slackReceiverUrl: slack.url,
      ssmEndpoint: ssm.url,
      pid: process.pid,
      region: LOCAL_REGION,
      s3Credentials: { ...S3RVER_CREDENTIALS },
      dataDir: dir,
      postgres: { port: pg.port, socketDir: pgPaths.socketDir, dataDir: pgPaths.dataDir, logFile: pgPaths.logFile },
      startedAt: new Date().toISOString(),
    };

    const workload = await startDemoWorkload({ socketDir: pgPaths.socketDir, port: pg.port, print });
    closers.push({ name: 'demo workload', close: () => workload.stop() });

    const sync = async () => {
      await ingest.flush();
      const outcome = await syncCatalog(adapters.sync(), cluster, {
        now: new Date(),
      });
      if (outcome.added + outcome.updated + outcome.removed > 0) {
        print(
          `[catalog-sync] ${cluster.id}: ${outcome.listed} objects listed; ${outcome.added} added, ${outcome.updated} updated, ${outcome.removed} marked gone`,
        );
      }
    };
    let lastWatch = '';
    const watch = async () => {
      await ingest.flush();
      const outcome = await watchClusterWal(adapters.watchWal(), cluster, { now: new Date() });
      const line = `${outcome.status}, ${outcome.openAlerts} open alert(s)`;
      if (line !== lastWatch) {
        lastWatch = line;
        print(`[wal-watch] ${cluster.id}: ${line}`);
      }
    };
    const backup = async () => {
      const outcome = await dispatchBackup(adapters.backup(), {
        cluster,
        now: new Date(),
        requestedBy: 'local schedule',
      });
      if (outcome.kind === 'refused') {
        print(`[backup] ${cluster.id}: not dispatched: ${outcome.reason}`);
        return;
      }
      print(`[backup] ${cluster.id}: backup-push job ${outcome.job.id} sent through the local shell transport`);
      // The tracker reports the end; waiting here keeps the schedule from overlapping and lets stop() wait for it.
      if (outcome.job.commandId) await transport.waitFor(outcome.job.commandId);
    };
    const retention = async () => {
      const finish = jobs.begin('retention', new Date());
      // Apply refuses a catalog not fully synced since the plan was made: sync first, as the deployed schedule does.
      await sync();
      const outcome = await runScheduledRetention(adapters.retention(), cluster, new Date());
      const applied = outcome.applied;
      if (applied?.status === 'applied') {
        print(`[retention] ${cluster.id}: applied ${applied.planId}, ${applied.deleted} object(s) deleted`);
        // s3rver sends no events for DeleteObjects: a sync makes the catalog agree with the bucket again.
        if (applied.deleted > 0) await sync();
      } else if (applied?.status === 'waiting') {
        print(`[retention] ${cluster.id}: plan ${applied.planId} applies after ${applied.appliesAfter.toISOString()}`);
      }
      if (outcome.plannedId)
        print(`[retention] ${cluster.id}: new plan ${outcome.plannedId} (walcat retention plan shows it)`);
      const refused = outcome.applyRefused ?? outcome.planRefused;
      if (refused) print(`[retention] ${cluster.id}: refused: ${refused}`);
      finish(
        refused ? 'refused' : 'succeeded',
        new Date(),
        refused ??
          [
            applied?.status === 'applied' ? `applied ${applied.planId}` : '',
            outcome.plannedId ? `planned ${outcome.plannedId}` : '',
          ]
            .filter(Boolean)
            .join(', '),
      );
    };

    const stackFile = join(dir, STACK_FILE);
    writeFileSync(stackFile, `${JSON.stringify(info, null, 2)}\n`);
    closers.push({ name: STACK_FILE, close: async () => rmSync(stackFile, { force: true }) });

    printBanner(options, info, pg.initialized, Date.now() - began);
    const every = { ...SCHEDULE_MS, ...options.scheduleMs };
    const schedules: Schedules = startSchedules(
      [
        { name: 'catalog-sync', everyMs: every.catalogSync, runAtStart: true, run: sync },
        { name: 'wal-watch', everyMs: every.walWatch, runAtStart: false, run: watch },
        { name: 'backup', everyMs: options.backupEveryMinutes * 60_000, runAtStart: true, run: backup },
        { name: 'retention', everyMs: every.retention, runAtStart: false, run: retention },
      ],
      print,
    );
    // Timers stop first so nothing new starts while the services go away.
    closers.push({ name: 'schedules', close: () => schedules.stop() });

    let stopping: Promise<void> | undefined;
    return {
      info,
      stop() {
        stopping ??= closeAll();
        return stopping;
      },
    };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

function printBanner(options: LocalStackOptions, info: LocalStackInfo, initialized: boolean, tookMs: number): void {
  const print = options.print;
  const cli = options.cliName ?? 'node bin/walcat.mjs';
  const dir = info.dataDir ?? '';
  const relativeDir = relative(process.cwd(), dir);
  const defaultDir = relativeDir === '.walcat-local';
  const pg = info.postgres;
  print('');
  print(
    `walcat local stack is up (${(tookMs / 1000).toFixed(1)} s${initialized ? ', new database' : ''}) at ${clock(Date.now())} UTC`,
  );
  print(
    `  S3 (s3rver)          ${info.s3Endpoint}   bucket ${LOCAL_BUCKET}, cluster storage s3://${LOCAL_BUCKET}/${LOCAL_PREFIX}/`,
  );
  print(`  DynamoDB (dynalite)  ${info.dynamodbEndpoint}   table ${LOCAL_CATALOG_TABLE}`);
  if (pg) {
    print(
      `  PostgreSQL 15        port ${pg.port}, socket ${pg.socketDir} (psql -h ${pg.socketDir} -p ${pg.port} -U postgres)`,
    );
    print(`                       data ${pg.dataDir}, log ${pg.logFile}`);
  }
  print(`  Slack receiver       ${info.slackReceiverUrl} (messages are printed here as [slack] lines)`);
  print(`  web view             ${info.webUrl}`);
  print(`  SSM endpoint         ${info.ssmEndpoint} (host commands run here, as instance ${LOCAL_INSTANCE_ID})`);
  print(`  config               ${info.configPath} (cluster ${LOCAL_CLUSTER_ID})`);
  print(`  data folder          ${dir} (kept across restarts; --fresh starts over)`);
  print(
    `  schedules            wal-watch every ${SCHEDULE_MS.walWatch / 1000} s, catalog-sync every ${SCHEDULE_MS.catalogSync / 60_000} min, backup now and every ${options.backupEveryMinutes} min, retention every ${SCHEDULE_MS.retention / 60_000} min`,
  );
  print('');
  print('Try next, in a second terminal in this folder:');
  print(
    `  export WALCAT_LOCAL=1${defaultDir ? '' : ` WALCAT_LOCAL_DIR=${dir}`}   # the one setting: the CLI talks to this stack`,
  );
  print(`  ${cli} status`);
  print(`  ${cli} window`);
  print(`  ${cli} backups`);
  print(`  ${cli} retention plan`);
  print(`  ${cli} restore plan --to latest`);
  print(`  ${cli} backup && ${cli} jobs`);
  print(`  (or without the export: ${cli} --local status)`);
  print('Ctrl-C stops everything.');
  print(READY_LINE);
}
