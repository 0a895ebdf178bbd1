/**
 * The embedded local stack (`walcat local`, `npm start`): all of walcat on one machine, in one process tree.
 *
 * - s3rver and dynalite in this process, their data under `<dir>/s3` and `<dir>/dynamodb`;
 * - a real PostgreSQL 15 primary under `<dir>/pg`, archiving through wal-g-local into `s3://walcat-local/demo/`;
 * - the deployed handlers, one row per function of serverless.yml (lib/local-stack/local-functions.ts), wired from
 *   the local adapter set: s3rver's object notifications reach catalog-ingest as SQS batches, the local shell
 *   transport's status events reach the job tracker and the restore orchestrator as EventBridge events, every
 *   schedule (sync, WAL watchdog, backups, archiver probe, retention, drills, watchdogs) runs on a timer, Slack
 *   messages go through a local alerts queue to alert-dispatch and on to a local Slack receiver that prints them,
 *   and the web view server hands each request to the web view handler;
 * - a demo workload so WAL flows.
 *
 * It writes `<dir>/stack.json`, which `walcat --local <command>` (or `WALCAT_LOCAL=1`) reads to talk to it, and
 * removes it again on stop. Only ports it picked and the data directory it created are ever used.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseObjectEventDocument } from '../adapters/events/s3-notification-events.ts';
import { LocalInstanceDirectory } from '../adapters/local/local-instance-directory.ts';
import { LocalShellTransport } from '../adapters/local/local-shell-transport.ts';
import type { LocalStackInfo, LocalStackSettings } from '../config/config-local-stack.ts';
import type { FunctionName } from '../deploy/serverless-model.ts';
import type { ClusterConfig } from '../domain/cluster.ts';
import { backupFinishedAt, isCompleteBackup } from '../domain/continuity/pitr-chain-base.ts';
import { isTerminalJobState, type Job, type JobState, restorePayload } from '../domain/jobs/job.ts';
import { SENTINEL_SUFFIX } from '../domain/layout/wal-g-layout.ts';
import { restoreStatusWord } from '../domain/restore/restore-status-words.ts';
import { WAL_G_LOCAL_BIN } from '../local-archiver/archiver-command.ts';
import { requireHosts } from '../use-cases/dispatch-backup.ts';
import { startDemoWorkload } from './demo-workload.ts';
import {
  LOCAL_BUCKET,
  LOCAL_CATALOG_TABLE,
  LOCAL_CLUSTER_ID,
  LOCAL_PREFIX,
  writeLocalClusterFiles,
} from './local-cluster-files.ts';
import { LOCAL_REGION, S3RVER_CREDENTIALS } from './local-emulators.ts';
import { startLocalEnvironment } from './local-environment.ts';
import { LOCAL_SCHEDULE_MS, type LocalFunction, localFunctions } from './local-functions.ts';
import { invokeLocal, scheduledJobs, webViewThroughHandler } from './local-invocations.ts';
import { chooseLocalPorts } from './local-ports.ts';
import {
  checkPostgresPrerequisites,
  localOsUser,
  localPostgresPaths,
  PG15_BIN_DIR,
  stopLeftoverPostgres,
} from './local-postgres.ts';
import { startLocalQueue } from './local-queue.ts';
import {
  LOCAL_SCRATCH_INSTANCE_ID,
  LOCAL_SCRATCH_TAG,
  prepareScratchFolders,
  pruneDrillCopies,
  stopScratchCopies,
} from './local-scratch.ts';
import { startLocalSsmEndpoint } from './local-ssm-endpoint.ts';
import { LocalStackSetupError } from './local-stack-errors.ts';
import { type Schedules, startSchedules } from './scheduled-runs.ts';
import { startSlackReceiver } from './slack-receiver.ts';
import { startWebViewServer } from './web-view-server.ts';

export const STACK_FILE = 'stack.json';
/** What `--fresh` removes: only what the stack itself creates in its folder, never anything else there. */
const STACK_ENTRIES = [
  's3',
  'dynamodb',
  'pg',
  'restores',
  'drill',
  'walg-env',
  'host-commands',
  'walcat.config.yml',
  STACK_FILE,
];
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

/** The local timer periods (the deployed schedules' stand-ins). */
export const SCHEDULE_MS = LOCAL_SCHEDULE_MS;

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
  // Restored copies a killed stack left running: their ports and archive settings belong to that stack.
  if (existsSync(dir)) await stopScratchCopies(dir);
  if (options.fresh && existsSync(dir)) {
    await stopLeftoverPostgres(dir);
    for (const entry of STACK_ENTRIES) rmSync(join(dir, entry), { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  // As root PostgreSQL runs as postgres, which must traverse the folder whatever the umask made of it.
  if (process.getuid?.() === 0) chmodSync(dir, 0o755);
  checkPostgresPrerequisites(dir, WAL_G_LOCAL_BIN);
  const scratch = prepareScratchFolders(dir);
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
    // s3rver and dynalite, their data under the stack folder; the same environment the end-to-end tests run on.
    const environment = await startLocalEnvironment({
      directory: dir,
      buckets: [LOCAL_BUCKET],
      ports: { s3: ports.s3, dynamodb: ports.dynamodb },
    });
    closers.push({ name: 's3rver and dynalite', close: () => environment.close() });
    const s3Endpoint = environment.s3Endpoint;
    // What wal-g-local needs to reach the bucket, in archive_command and (with the libpq settings) in the env dir.
    const storage = `s3://${LOCAL_BUCKET}/${LOCAL_PREFIX}`;
    const archiverEnv = environment.archiverEnv(storage);
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
    // The host the demo cluster's tag resolves to: this machine, running host scripts as SSM would on the primary;
    // and this machine again as the scratch host restores and drills go to (their own data directories and ports).
    const instances = [
      { instanceId: LOCAL_INSTANCE_ID, tags: { [hostTarget.tagKey]: hostTarget.tagValue } },
      { instanceId: LOCAL_SCRATCH_INSTANCE_ID, tags: { [LOCAL_SCRATCH_TAG.tagKey]: LOCAL_SCRATCH_TAG.tagValue } },
    ];
    const transport = new LocalShellTransport({
      workDir: join(dir, 'host-commands'),
      baseEnv: options.settings.hostEnv,
      instances,
    });
    closers.push({ name: 'local shell transport', close: () => transport.close() });
    // Stopped once the transport has ended every host script, so no restore step starts a copy after this ran.
    closers.push({
      name: 'restored copies',
      close: async () => {
        for (const dataDir of await stopScratchCopies(dir)) print(`[restore] stopped the restored copy in ${dataDir}`);
      },
    });

    let slackUrl = '';
    // The functions' Slack messages go to a local alerts queue that the alert-dispatch handler drains.
    let functions: Record<FunctionName, LocalFunction> | undefined;
    const alertsQueue = startLocalQueue({
      name: 'walcat-local-alerts',
      batchSize: 10,
      maxReceiveCount: 20,
      deliver: (event) => invokeLocal(functions as Record<FunctionName, LocalFunction>, 'alertDispatch', event),
      onDeadLetter: () => print('[alert-dispatch] a Slack message was not delivered after 20 attempts; dropped'),
    });
    closers.push({ name: 'alerts queue', close: () => alertsQueue.stop() });
    // The one wiring seam, over the emulators, the local shell transport and (once it listens) the Slack receiver.
    const adapters = environment.adapters(config, {
      transport,
      instances: new LocalInstanceDirectory(instances),
      slackUrl: () => slackUrl,
      notifier: { send: async (target, message) => alertsQueue.send(JSON.stringify({ target, message })) },
      metrics: { record: () => {} },
    });
    const catalog = adapters.catalog();
    await catalog.ensureTable();
    functions = localFunctions(adapters, {
      backupEveryMinutes: options.backupEveryMinutes,
      refreshSeconds: 15,
      ...(options.scheduleMs ? { scheduleMs: options.scheduleMs } : {}),
    });
    const rows = functions;
    // s3rver's notifications reach catalog-ingest as SQS batches, as the S3 → SQS → Lambda path delivers them.
    const objectEvents = startLocalQueue({
      name: 'walcat-local-object-events',
      batchSize: 100,
      maxReceiveCount: 5,
      deliver: (event) => invokeLocal(rows, 'catalogIngest', event),
      onDelivered: (body) => printBackupEvents(body, print),
      onDeadLetter: () => print('[catalog] an object event failed 5 times; the next catalog-sync heals it'),
    });
    environment.onObjectEvent((event) => objectEvents.send(JSON.stringify(event)));
    closers.push({ name: 'object events queue', close: () => objectEvents.stop() });

    const slack = await startSlackReceiver({ port: ports.slack, print });
    slackUrl = slack.url;
    closers.push({ name: 'Slack receiver', close: () => slack.close() });

    const pg = await environment.startPostgres({
      port: ports.postgres,
      storage,
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
    let schedules: Schedules | undefined;
    let firstDrillAsked = false;
    const reported = new Set<string>();
    const reportHostJob = async (job: Job) => {
      if (reported.has(job.id)) return;
      reported.add(job.id);
      const seconds = ((job.finishedAt ?? new Date()).getTime() - job.createdAt.getTime()) / 1000;
      if (job.type !== 'backup-push' || job.state !== 'success') {
        print(
          `[${job.type}] ${job.cluster}: job ${job.id} ${job.state} after ${seconds.toFixed(1)} s: ${job.outcome ?? ''}`,
        );
        return;
      }
      await objectEvents.flush();
      const newest = (await catalog.listBackups(cluster.id))
        .filter(isCompleteBackup)
        .sort((a, b) => backupFinishedAt(b).getTime() - backupFinishedAt(a).getTime())[0];
      print(
        `[backup] ${job.cluster}: backup-push succeeded in ${seconds.toFixed(1)} s on ${job.host ?? LOCAL_INSTANCE_ID}${newest ? `: ${newest.name} complete` : ''}`,
      );
      // The first drill runs as soon as there is a backup to drill, not a schedule period after start.
      if (cluster.drill && newest && !firstDrillAsked) {
        firstDrillAsked = true;
        void runFirstDrill().catch((error: unknown) =>
          print(
            `[restore-drill] the first drill did not start: ${error instanceof Error ? error.message : String(error)}`,
          ),
        );
      }
    };
    const runFirstDrill = async () => {
      const drills = adapters.hostCommands().jobs;
      for (let attempt = 0; attempt < 10 && schedules; attempt += 1) {
        const [last] = await drills.list(cluster.id, { types: ['drill'], limit: 1 });
        if (last) return;
        await schedules.runNow(`restore-drill ${cluster.id}`);
        await new Promise((resolve) => setTimeout(resolve, 15_000).unref());
      }
    };
    // Every status-change event goes to the job tracker handler, as the EventBridge rule routes SSM events to it:
    // the one consumer, for host jobs and restores alike. A failure is printed, never thrown: the transport
    // delivers events without waiting, and the watchdog schedule catches up.
    transport.subscribe((event) =>
      invokeLocal(rows, 'jobTracker', event)
        .then(async (response) => {
          const { tracked, state, transition, job } = response as {
            tracked?: boolean;
            state?: string;
            transition?: string;
            job?: string;
          };
          if (!tracked || state === undefined) return;
          if (transition !== undefined) {
            // A restore or drill: its step transitions, and one line with the result when it ends.
            if (transition === 'ignored' || transition === 'progressed' || job === undefined) return;
            print(`[restore] job ${job}: ${transition}`);
            if (transition === 'completed' || transition === 'failed') {
              const ended = await hostJobs.getById(cluster.id, job);
              if (ended) print(restoreEndLine(ended));
              // Each drill moved the previous copy aside: keep the last few, so weeks of drills do not fill the disk.
              if (ended?.type === 'drill') {
                for (const removed of pruneDrillCopies(dir, { protect: [pgPaths.dataDir] })) {
                  print(`[restore-drill] removed the older drill copy ${removed}`);
                }
              }
            }
            return;
          }
          if (!isTerminalJobState(state as JobState)) return;
          const hostJob = await hostJobs.findByCommandId(event.detail['command-id']);
          if (hostJob && hostJob.restore === undefined) await reportHostJob(hostJob);
        })
        .catch((error: unknown) =>
          print(
            `[job-tracker] could not apply a command status: ${error instanceof Error ? error.message : String(error)}`,
          ),
        ),
    );
    const web = await startWebViewServer({ port: ports.web, app: webViewThroughHandler(rows) });
    closers.push({ name: 'web view', close: () => web.close() });

    const info: LocalStackInfo = {
      configPath: files.configPath,
      s3Endpoint,
      dynamodbEndpoint: environment.dynamodbEndpoint,
      webUrl: web.url,
      slackReceiverUrl: slack.url,
      ssmEndpoint: ssm.url,
      pid: process.pid,
      region: LOCAL_REGION,
      s3Credentials: { ...S3RVER_CREDENTIALS },
      dataDir: dir,
      postgres: { port: pg.port, socketDir: pgPaths.socketDir, dataDir: pgPaths.dataDir, logFile: pgPaths.logFile },
      scratch: { instanceId: LOCAL_SCRATCH_INSTANCE_ID, restoresDir: scratch.restoresDir },
      startedAt: new Date().toISOString(),
    };

    const workload = await startDemoWorkload({ socketDir: pgPaths.socketDir, port: pg.port, print });
    closers.push({ name: 'demo workload', close: () => workload.stop() });

    const lastLine = new Map<string, string>();
    // Progress lines from the handlers' responses, printed when they change (wal-watch runs every 15 s).
    const afterRun = async (_name: FunctionName, trigger: string, response: unknown) => {
      const commandId = (response as { commandId?: string } | undefined)?.commandId;
      // The tracker reports a backup's end; waiting here keeps the schedule from overlapping itself.
      if (commandId !== undefined) await transport.waitFor(commandId);
      const line = JSON.stringify(response);
      if (lastLine.get(trigger) === line) return;
      lastLine.set(trigger, line);
      print(`[${trigger}] ${line}`);
    };

    const stackFile = join(dir, STACK_FILE);
    writeFileSync(stackFile, `${JSON.stringify(info, null, 2)}\n`);
    closers.push({ name: STACK_FILE, close: async () => rmSync(stackFile, { force: true }) });

    printBanner(options, info, pg.initialized, Date.now() - began);
    const started = startSchedules(scheduledJobs(rows, afterRun), print);
    schedules = started;
    // Timers stop first so nothing new starts while the services go away.
    closers.push({
      name: 'schedules',
      close: () => {
        schedules = undefined;
        return started.stop();
      },
    });

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

/** The line a restore or drill ends with: its result, total time and where the copy runs. */
function restoreEndLine(job: Job): string {
  const seconds = ((job.finishedAt ?? new Date()).getTime() - job.createdAt.getTime()) / 1000;
  const { request, failure } = restorePayload(job);
  const where = request.inPlace ? 'in place' : `into ${request.hostSettings.pgData}`;
  const status = restoreStatusWord(job.state);
  return `[${job.type}] ${job.cluster}: job ${job.id} ${status} after ${seconds.toFixed(1)} s, ${where}${status === 'succeeded' ? `; walcat --local restore status ${job.id}` : `: ${failure?.message ?? ''}`}`;
}

/** One line per backup sentinel an object event carried (the catalog learned of a backup, or of its removal). */
function printBackupEvents(body: string, print: (line: string) => void): void {
  for (const event of parseObjectEventDocument(JSON.parse(body)).events) {
    if (!event.key.endsWith(SENTINEL_SUFFIX)) continue;
    const name = event.key.slice(event.key.lastIndexOf('/') + 1, -SENTINEL_SUFFIX.length);
    print(`[catalog] backup ${name} ${event.kind === 'created' ? 'catalogued from its sentinel' : 'removed'}`);
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
    `  schedules            the deployed handlers: wal-watch every ${SCHEDULE_MS.walWatch / 1000} s, catalog-sync every ${SCHEDULE_MS.catalogSync / 60_000} min, backup now and every ${options.backupEveryMinutes} min, archiver probe every ${SCHEDULE_MS.archiverProbe / 60_000} min, retention every ${SCHEDULE_MS.retention / 60_000} min, drills and watchdogs`,
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
  print(`  ${cli} restore start --cluster demo --to latest   # into a scratch copy on this machine`);
  print(`  ${cli} drill --cluster demo`);
  print(`  ${cli} backup && ${cli} jobs`);
  print(`  (or without the export: ${cli} --local status)`);
  print('Ctrl-C stops everything.');
  print(READY_LINE);
}
