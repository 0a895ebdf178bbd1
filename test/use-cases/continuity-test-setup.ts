/** Shared setup of the continuity use-case tests: a real catalog and alert store on dynalite, a Slack stand-in. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { DynamoDbAlertStore } from '../../lib/adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { SlackWebhookNotifier } from '../../lib/adapters/slack/slack-webhook-notifier.ts';
import { SsmParameterSecret } from '../../lib/adapters/ssm/ssm-parameter-secret.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BaseBackup } from '../../lib/domain/backup/base-backup.ts';
import type { LifecycleRule } from '../../lib/domain/bucket/bucket-configuration.ts';
import { bucketDigest, type LifecycleReadProblem } from '../../lib/domain/bucket/bucket-digest.ts';
import type { ClusterConfig, ClusterId } from '../../lib/domain/cluster.ts';
import { lsnFromInteger } from '../../lib/domain/wal/lsn.ts';
import { type TimelineId, timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type { Notifier } from '../../lib/ports/notifier.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';

export const CLUSTER = 'orders-main' as ClusterId;
export const WEBHOOK_PARAMETER = '/walcat/slack/orders';

export function clusterConfig(): ClusterConfig {
  const config = parseWalcatConfig(
    [
      'catalogTable: walcat-test',
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://pg-backups/orders-main',
      '    layout: wal-g',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      `    alerts: { slackWebhookParameter: ${WEBHOOK_PARAMETER}, archiveLagMax: 10m, backupMaxAge: 26h, uploadGrace: 5m }`,
    ].join('\n'),
    'continuity test config',
  );
  const cluster = config.clusters[0];
  if (cluster === undefined) throw new Error('test config has no cluster');
  return cluster;
}

/** Backups by name, handed to the catalog as its interpreter so tests need no sentinel JSON. */
export class BackupBook {
  readonly #backups = new Map<string, BaseBackup>();
  add(backup: BaseBackup): void {
    this.#backups.set(backup.name, backup);
  }
  interpret = (_cluster: ClusterId, name: string) => {
    const backup = this.#backups.get(name);
    return backup === undefined ? { problem: `no test backup ${name}` } : { backup };
  };
}

const SIZE = 16 * 1024 * 1024;

export function baseBackup(startSegNo: number, finishSegNo: number, finishTime: Date, timeline = 1): BaseBackup {
  const tl = timelineId(timeline);
  const startSegment = { timeline: tl, segNo: segmentNumber(startSegNo) };
  return {
    name: `base_${walFileName(startSegment, clusterConfig().walSegmentSize)}`,
    kind: 'full',
    timeline: tl,
    startLsn: lsnFromInteger(BigInt(startSegNo) * BigInt(SIZE) + 40n),
    finishLsn: lsnFromInteger(BigInt(finishSegNo) * BigInt(SIZE) + 100n),
    startSegment,
    startTime: new Date(finishTime.getTime() - 60_000),
    finishTime,
    permanent: false,
  };
}

export interface Services {
  readonly ddb: DynaliteHandle;
  readonly catalog: DynamoDbCatalogStore;
  readonly alerts: DynamoDbAlertStore;
  readonly book: BackupBook;
  close(): Promise<void>;
}

let tables = 0;
/** `now`: the clock that stamps the catalog's WAL writes (default the system clock). */
export async function startServices(
  ddb?: DynaliteHandle,
  options: { readonly now?: () => Date } = {},
): Promise<Services> {
  const handle = ddb ?? (await startDynalite());
  const book = new BackupBook();
  const tableName = `continuity-${++tables}`;
  const catalog = new DynamoDbCatalogStore({
    client: handle.client,
    tableName,
    interpret: book.interpret,
    ...(options.now === undefined ? {} : { now: options.now }),
  });
  await catalog.ensureTable();
  return {
    ddb: handle,
    catalog,
    alerts: new DynamoDbAlertStore({ client: handle.client, tableName }),
    book,
    close: () => (ddb === undefined ? handle.close() : Promise.resolve()),
  };
}

let sequence = 0;
const nextSequencer = (): string => (++sequence).toString(16).toUpperCase().padStart(16, '0');

export async function archiveSegments(
  services: Services,
  timeline: number,
  segNos: readonly number[],
  uploadedAt: (segNo: number) => Date,
): Promise<void> {
  const tl = timelineId(timeline) as TimelineId;
  const size = clusterConfig().walSegmentSize;
  await services.catalog.applyWalChanges(
    segNos.map((segNo) => {
      const name = walFileName({ timeline: tl, segNo: segmentNumber(segNo) }, size);
      return {
        origin: 'event' as const,
        record: {
          cluster: CLUSTER,
          key: `orders-main/wal_005/${name}.lz4`,
          kind: 'segment' as const,
          timeline: tl,
          segNo: segmentNumber(segNo),
          compression: 'lz4' as const,
          size: 1000,
          uploadedAt: uploadedAt(segNo),
          sequencer: nextSequencer(),
          deleted: false,
        },
      };
    }),
  );
}

/** A rule of the cluster's bucket expiring everything under its root since a date long past. */
export function expiredRule(id: string, prefix = 'orders-main/'): LifecycleRule {
  return {
    id,
    enabled: true,
    filter: { prefix, tags: [] },
    expiration: { date: new Date('2026-01-01T00:00:00Z') },
    expiredObjectDeleteMarker: false,
    transitions: [],
    noncurrentVersionTransitions: [],
  };
}

/** Stores what a catalog sync would have read of the bucket: these rules, or the reason they could not be read. */
export async function storeBucketRules(
  services: Services,
  lifecycle: readonly LifecycleRule[] | LifecycleReadProblem,
  readAt: Date,
): Promise<void> {
  await services.catalog.updateClusterState(CLUSTER, {
    bucket: bucketDigest('orders-main/', { readAt, lifecycle, versioning: 'unversioned' }),
  });
}

/** Segment numbers 1..`through`, without `missing`. */
export function segmentsThrough(through: number, missing: readonly number[] = []): number[] {
  return Array.from({ length: through }, (_, i) => i + 1).filter((segNo) => !missing.includes(segNo));
}

export interface CatalogedHistory {
  /** Catalogued first, in order. */
  readonly backups: readonly BaseBackup[];
  /** Timeline 1 holds segments 1..`through`, except `missing` (never archived). */
  readonly through: number;
  readonly missing?: readonly number[];
  readonly uploadedAt: (segNo: number) => Date;
}

/** Services whose catalog holds `history`: the backups, then the WAL of timeline 1 with its holes. */
export async function startCatalogedServices(history: CatalogedHistory): Promise<Services> {
  const services = await startServices();
  await catalogHistory(services, history);
  return services;
}

export async function catalogHistory(services: Services, history: CatalogedHistory): Promise<void> {
  for (const backup of history.backups) await catalogBackup(services, backup);
  await archiveSegments(services, 1, segmentsThrough(history.through, history.missing), history.uploadedAt);
}

export async function catalogBackup(services: Services, backup: BaseBackup): Promise<void> {
  services.book.add(backup);
  await services.catalog.applyBackupChanges([
    {
      type: 'source-observed',
      origin: 'event',
      cluster: CLUSTER,
      name: backup.name,
      source: 'sentinel',
      observation: {
        key: `orders-main/basebackups_005/${backup.name}_backup_stop_sentinel.json`,
        sequencer: nextSequencer(),
        present: true,
        text: '{}',
        observedAt: backup.finishTime ?? new Date(0),
      },
    },
  ]);
}

/**
 * The real Slack notifier reading its webhook from SSM (mocked: the parameter names the stand-in) and posting to the
 * local stand-in. `close` restores the SSM client and stops the stand-in.
 */
export async function startSlackThroughSsm(): Promise<{
  readonly slack: SlackStandIn;
  readonly notifier: Notifier;
  /** The mocked SSM client, to count the webhook reads. */
  readonly ssm: AwsClientStub<SSMClient>;
  close(): Promise<void>;
}> {
  const slack = await startSlackStandIn();
  const ssm = mockClient(SSMClient);
  ssm
    .on(GetParameterCommand, { Name: WEBHOOK_PARAMETER, WithDecryption: true })
    .resolves({ Parameter: { Value: slack.url } });
  return {
    slack,
    ssm,
    notifier: new SlackWebhookNotifier({
      secrets: new SsmParameterSecret({ client: new SSMClient({ region: 'us-east-1' }) }),
    }),
    async close() {
      ssm.restore();
      await slack.close();
    },
  };
}

/** A local HTTP receiver standing in for Slack's incoming webhook: answers with the queued statuses, then 200. */
export interface SlackStandIn {
  readonly url: string;
  readonly received: Array<{ text: string; blocks: unknown[] }>;
  /** Statuses for the next requests, in order (e.g. [500, 500]). */
  failNext(...statuses: number[]): void;
  close(): Promise<void>;
}

export async function startSlackStandIn(): Promise<SlackStandIn> {
  const received: Array<{ text: string; blocks: unknown[] }> = [];
  const queued: number[] = [];
  const server: Server = createServer(async (request: IncomingMessage, response) => {
    let body = '';
    for await (const chunk of request) body += chunk;
    const status = queued.shift() ?? 200;
    if (status === 200) received.push(JSON.parse(body));
    response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'server_error');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${address.port}/services/T000/B000/secret`,
    received,
    failNext: (...statuses) => queued.push(...statuses),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
