/**
 * The one wiring seam: the adapters of one process, each built on first use and then shared, and one method per use
 * case returning exactly the dependencies that use case takes. Every door gets the product from here: each Lambda
 * function (lib/wiring/deployed-adapter-set.ts), the CLI with or without `--local`, the local stack
 * (lib/wiring/local-adapter-set.ts) and the end-to-end tests. A door that assembled adapters by hand would drift
 * from the others. The stores come from the storage adapters (lib/wiring/storage-adapters.ts), the one place that
 * constructs them. Each AWS client beyond DynamoDB comes from a factory the door passes (`s3`, `ssm`, `sqs`), so a
 * function's bundle carries only the clients its use cases call: loading an unused client is most of a cold start.
 */
import { randomUUID } from 'node:crypto';
import { SlackWebhookNotifier } from '../adapters/slack/slack-webhook-notifier.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import { newRestoreJobId } from '../domain/restore/restore-job-id.ts';
import type { AlertStore } from '../ports/alert-store.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { ClusterRunQueue } from '../ports/cluster-run-queue.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { ContinuityMetrics } from '../ports/continuity-metrics.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { Notifier } from '../ports/notifier.ts';
import type { ObjectStore } from '../ports/object-store.ts';
import type { ObjectVersionStore } from '../ports/object-version-store.ts';
import type { PlanStore } from '../ports/plan-store.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import type { ServiceClock } from '../ports/service-clock.ts';
import type { SyncPartLedger } from '../ports/sync-part-ledger.ts';
import type { SyncPartQueue } from '../ports/sync-part-queue.ts';
import type { latestArchiverSignal } from '../use-cases/archiver-signal.ts';
import type { EffectReaders } from '../use-cases/catalog-effects.ts';
import type { HostCommandDependencies } from '../use-cases/dispatch-backup.ts';
import type { IngestDependencies } from '../use-cases/ingest-object-events.ts';
import type { OrchestratorDeps } from '../use-cases/orchestrate-restore.ts';
import type { ProbeArchiverDependencies } from '../use-cases/probe-archiver.ts';
import { recordingLastDrill } from '../use-cases/record-last-drill.ts';
import type { RestoreDeps } from '../use-cases/restore-dependencies.ts';
import type { DrillDeps } from '../use-cases/run-restore-drill.ts';
import type { ScheduledRetentionDependencies } from '../use-cases/scheduled-retention.ts';
import type { SyncDependencies } from '../use-cases/sync-catalog.ts';
import type { ClusterSyncDependencies } from '../use-cases/sync-cluster-parts.ts';
import type { TrackCommandDependencies } from '../use-cases/track-command-status.ts';
import type { WatchWalDependencies } from '../use-cases/watch-wal.ts';
import type { WebViewStores } from '../web-view/recent-jobs.ts';
import { HOST_COMMAND_LOG_GROUP, type HostCommandAdapters } from './host-command-adapters.ts';
import { lazy } from './lazy.ts';
import type { S3AdaptersFactory } from './s3-adapters.ts';
import type { SqsAdapters, SqsAdaptersFactory } from './sqs-adapters.ts';
import type { SsmAdapters, SsmAdaptersFactory } from './ssm-adapters.ts';
import { createStorageAdapters } from './storage-adapters.ts';

export interface AdapterSetOptions {
  readonly config: WalcatConfig;
  readonly endpoints: AwsEndpoints;
  /**
   * The bucket adapters' factory (`createS3Adapters` from lib/wiring/s3-adapters.ts): given only by the doors whose
   * use cases read or thaw bucket objects (ingest, sync, retention, the CLI, the local stack), so the other bundles
   * do not carry the S3 client. Without it restores and drills cannot thaw, and ingest, sync and retention refuse
   * to be wired.
   */
  readonly s3?: S3AdaptersFactory;
  /**
   * The SSM adapters' factory (`createSsmAdapters` from lib/wiring/ssm-adapters.ts): given only by the doors that send
   * host commands, resolve hosts or read webhook secrets themselves, so the other bundles do not carry the SSM client.
   * `transport`, `instances` and `secrets` given here win over it.
   */
  readonly ssm?: SsmAdaptersFactory;
  /**
   * The SQS adapters' factory (`createSqsAdapters` from lib/wiring/sqs-adapters.ts): given only by the doors that
   * enqueue (the alerts queue, a cluster-run or part queue), so the other bundles do not carry the SQS client.
   */
  readonly sqs?: SqsAdaptersFactory;
  /** Deployed stack: hand Slack messages to this queue (only alert-dispatch reads the webhook secret). */
  readonly alertsQueueUrl?: string;
  /** Deployed stack: the function's own cluster-run queue, where its tick enqueues one run per due cluster. */
  readonly clusterRunsQueueUrl?: string;
  /** The cluster-run queue itself (the local stack's in-process one); wins over `clusterRunsQueueUrl`. */
  readonly clusterRuns?: ClusterRunQueue;
  /** Deployed catalog-sync: the part queue a cluster too large for one invocation is split onto. */
  readonly syncPartsQueueUrl?: string;
  /** The part queue itself (the local stack's in-process one); wins over `syncPartsQueueUrl`. */
  readonly syncParts?: SyncPartQueue;
  /** Where webhook URLs come from when messages are posted directly; default SSM Parameter Store. */
  readonly secrets?: SecretSource;
  /** Host commands go here instead of SSM (the local stack's shell transport). */
  readonly transport?: CommandTransport;
  /** Hosts resolve from here instead of SSM's inventory (the local stack's one instance). */
  readonly instances?: InstanceDirectory;
  /** Where the functions' Slack messages go instead (the local stack's stand-in for the alerts queue). */
  readonly notifier?: Notifier;
  /**
   * Continuity metrics for the WAL watchdog (CloudWatch EMF when deployed). Given only by the doors that run it, so
   * the other bundles do not carry the metrics library.
   */
  readonly metrics?: ContinuityMetrics;
  /**
   * Reads `.history` files in any compression, for ingest and sync (lib/domain/wal/history-file-content.ts). Given
   * only by the doors that run those, so the other bundles do not carry the decompressors.
   */
  readonly decompress?: EffectReaders['decompress'];
  /** How the WAL watchdog reads the latest archiver probe (lib/use-cases/archiver-signal.ts); with the metrics. */
  readonly archiverSignal?: typeof latestArchiverSignal;
  /** Where SSM writes host commands' full output; default the walcat CloudWatch Logs group. */
  readonly commandLogGroup?: string;
}

export interface AdapterSet {
  readonly config: WalcatConfig;
  catalog(): CatalogStore;
  /** The S3 store; its service clock is what retention checks its own clock against. */
  objectStore(): ObjectStore & ObjectVersionStore & ServiceClock;
  alerts(): AlertStore;
  plans(): PlanStore;
  /** How the functions post to Slack: through the alerts queue when deployed, directly otherwise. */
  notifier(): Notifier;
  /** The notifier that posts to the webhook itself (alert-dispatch, the one reader of webhook secrets). */
  slackDelivery(): Notifier;
  /** SSM transport and job store for backup-push, probes and the job tracker. */
  hostCommands(): HostCommandAdapters;
  /** The function's cluster-run queue (lib/handlers/cluster-fan-out.ts); undefined: ticks run their clusters. */
  clusterRuns(): ClusterRunQueue | undefined;
  /** Catalog, job store, transport and instance directory for restores and drills. */
  restore(): RestoreDeps;

  // One method per use case (and so per handler): exactly what it takes.
  ingest(): IngestDependencies;
  /** The scheduled sync: with the part queue and ledger when the door has a part queue. */
  sync(): ClusterSyncDependencies;
  /** One key-range part of a split sync. */
  syncPart(): SyncDependencies & { readonly ledger: SyncPartLedger };
  watchWal(): WatchWalDependencies;
  retention(): ScheduledRetentionDependencies;
  backup(): HostCommandDependencies;
  tracker(): TrackCommandDependencies;
  probe(): ProbeArchiverDependencies;
  orchestrator(): OrchestratorDeps;
  drill(): DrillDeps;
  webView(): WebViewStores;

  /** Closes the SDK clients' sockets (the CLI calls it so the process can exit at once). */
  close(): void;
}

export function createAdapterSet(options: AdapterSetOptions): AdapterSet {
  const { config, endpoints } = options;
  // Each client's adapters are built once, on first use, and remembered so close() can end the client's sockets.
  const built: { close(): void }[] = [];
  const track = <T extends { close(): void }>(adapters: T): T => {
    built.push(adapters);
    return adapters;
  };
  const storage = createStorageAdapters({ config, endpoints, ...(options.s3 ? { s3: options.s3 } : {}) });
  const { catalog, objectStore, alerts, plans } = storage;
  const required = <T>(value: T | undefined, what: string, use: string): T => {
    if (value === undefined) {
      throw new ConfigError(
        `the adapter set was built without ${what}, which ${use} needs; pass it where the door builds the adapter set`,
      );
    }
    return value;
  };
  // `use` names what asked, so a door built without the factory fails (at cold start) saying what needed it.
  let ssmAdapters: SsmAdapters | undefined;
  const ssm = (use: string): SsmAdapters => {
    ssmAdapters ??= track(required(options.ssm, 'the SSM adapters (ssm: createSsmAdapters)', use)(endpoints));
    return ssmAdapters;
  };
  let sqsAdapters: SqsAdapters | undefined;
  const sqs = (use: string): SqsAdapters => {
    sqsAdapters ??= track(required(options.sqs, 'the SQS adapters (sqs: createSqsAdapters)', use)(endpoints));
    return sqsAdapters;
  };
  const slackDelivery = lazy(
    (): Notifier =>
      new SlackWebhookNotifier({
        secrets:
          options.secrets ??
          ssm('reading Slack webhook secrets (messages are posted directly when no alerts queue is given)').secrets(),
      }),
  );
  const notifier = lazy(
    (): Notifier =>
      options.notifier ??
      (options.alertsQueueUrl
        ? sqs('sending Slack messages to the alerts queue').alertsQueue(options.alertsQueueUrl)
        : slackDelivery()),
  );
  const transport = lazy((): CommandTransport => options.transport ?? ssm('sending host commands').transport());
  const logGroup = options.commandLogGroup ?? HOST_COMMAND_LOG_GROUP;
  const hostCommands = lazy(
    (): HostCommandAdapters => ({
      transport: transport(),
      jobs: storage.jobs(),
      newJobId: () => randomUUID(),
      cloudWatchLogGroup: logGroup,
    }),
  );
  // The job store alone, without the transport: the watchdog and the web view read jobs but send no commands.
  const jobs = (): JobStore => storage.jobs();
  const restore = lazy((): RestoreDeps => {
    const thaw = storage.thaw();
    return {
      catalog: catalog(),
      jobs: recordingLastDrill(jobs(), catalog()),
      transport: transport(),
      instances: options.instances ?? ssm('resolving hosts').instances(),
      // Restore steps keep their complete output where backup jobs keep theirs (SSM's inline copy is truncated).
      commandOutput: { cloudWatchLogGroup: logGroup },
      notifier: notifier(),
      clusters: config.clusters,
      now: () => new Date(),
      ...(thaw === undefined ? {} : { thaw }),
    };
  });
  const hostTracker = (): TrackCommandDependencies => ({
    jobs: jobs(),
    transport: transport(),
    notifier: notifier(),
    clusters: config.clusters,
  });
  // The one consumer of command status events: host jobs and restores alike.
  const tracker = lazy((): TrackCommandDependencies => ({ ...hostTracker(), restore: restore() }));
  const decompress = () => required(options.decompress, 'a history decompressor (decompress)', 'ingest and sync');

  return {
    config,
    catalog,
    objectStore,
    alerts,
    plans,
    notifier,
    slackDelivery,
    hostCommands,
    clusterRuns: lazy(
      (): ClusterRunQueue | undefined =>
        options.clusterRuns ??
        (options.clusterRunsQueueUrl === undefined
          ? undefined
          : sqs('a cluster-run queue').clusterRuns(options.clusterRunsQueueUrl)),
    ),
    restore,
    ingest: lazy(() => ({
      catalog: catalog(),
      objects: objectStore(),
      decompress: decompress(),
      clusters: config.clusters,
    })),
    sync: lazy((): ClusterSyncDependencies => {
      const queue =
        options.syncParts ??
        (options.syncPartsQueueUrl === undefined
          ? undefined
          : sqs('the sync part queue').syncParts(options.syncPartsQueueUrl));
      return {
        catalog: catalog(),
        objects: objectStore(),
        decompress: decompress(),
        bucket: storage.inspector(),
        ...(queue === undefined ? {} : { parts: { queue, ledger: catalog() } }),
      };
    }),
    // A part lists long after its plan: its pages are stamped with when they were listed, not with the plan time.
    syncPart: lazy(() => ({
      catalog: catalog(),
      ledger: catalog(),
      objects: objectStore(),
      decompress: decompress(),
      bucket: storage.inspector(),
      clock: () => new Date(),
    })),
    watchWal: lazy(
      (): WatchWalDependencies => ({
        catalog: catalog(),
        alerts: alerts(),
        notifier: notifier(),
        metrics: required(options.metrics, 'continuity metrics (metrics)', 'the WAL watchdog'),
        archiverSignal: (cluster, now) =>
          required(options.archiverSignal, 'the archiver signal (archiverSignal)', 'the WAL watchdog')(
            { jobs: jobs(), catalog: catalog() },
            cluster,
            now,
          ),
      }),
    ),
    retention: lazy(() => ({
      catalog: catalog(),
      objects: objectStore(),
      serviceClock: objectStore(),
      inspector: storage.inspector(),
      versions: objectStore(),
      plans: plans(),
      notifier: notifier(),
    })),
    backup: lazy((): HostCommandDependencies => ({ ...hostCommands(), notifier: notifier() })),
    tracker,
    probe: lazy(
      (): ProbeArchiverDependencies => ({
        ...hostCommands(),
        ...hostTracker(),
        catalog: catalog(),
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      }),
    ),
    orchestrator: lazy(() => ({ ...restore(), newJobId: () => newRestoreJobId('restore', new Date(), Math.random) })),
    drill: lazy(() => ({
      ...restore(),
      random: Math.random,
      newJobId: () => newRestoreJobId('drill', new Date(), Math.random),
    })),
    webView: lazy(
      (): WebViewStores => ({
        catalog: catalog(),
        alerts: alerts(),
        plans: plans(),
        jobs: jobs(),
      }),
    ),
    close: () => {
      storage.close();
      for (const adapters of built) adapters.close();
    },
  };
}
