/**
 * Monthly request costs of one cluster: walcat (event-fed catalog) next to the list-based way polling every minute.
 * docs/cost-model.md explains every formula; bench/cost-model.bench.ts prints the table, so the figures in the docs
 * are reproducible. Prices are us-east-1 list prices (USD), free tiers ignored.
 */

/** Prices per request or unit. Sources and verification status are in docs/cost-model.md. */
export const PRICES = {
  s3ListPerRequest: 0.005 / 1000,
  s3GetPerRequest: 0.0004 / 1000,
  s3PutPerRequest: 0.005 / 1000,
  dynamoWriteUnit: 0.625 / 1e6,
  dynamoReadUnit: 0.125 / 1e6,
  lambdaRequest: 0.2 / 1e6,
  lambdaArmGbSecond: 0.0000133334,
  sqsRequest: 0.4 / 1e6,
} as const;

/** Workload and implementation assumptions (docs/cost-model.md, "Assumptions"). */
export const ASSUMPTIONS = {
  minutesPerMonth: 30 * 24 * 60,
  /** Retained WAL: the PITR window the list-based way lists on every poll. */
  retentionDays: 7,
  backupsRetained: 7,
  historyFiles: 1,
  /** Each segment causes a create event and, when retention deletes it, a remove event. */
  eventsPerSegment: 2,
  /** Lambda's SQS poller receives and deletes in batches of up to 10 messages. */
  sqsMessagesPerReceive: 10,
  /** Long-poll receives of an idle queue: ~5 pollers x one 20 s poll each (UNVERIFIED estimate). */
  sqsEmptyReceivesPerMinute: 15,
  /** Upper bound: one ingest invocation per event (no batching window). */
  eventsPerIngestInvocation: 1,
  ingestDurationS: 0.06,
  ingestMemoryGb: 0.5,
  /** One catalog item: a WAL object record is about 350 bytes (≤ 1 KB write, ≤ 4 KB read). */
  walItemBytes: 350,
  /** Backup items hold the sentinel and metadata.json texts. */
  backupItemBytes: 1600,
  watchDurationS: 0.3,
  watchMemoryGb: 0.5,
  /** The watchdog re-reads the whole WAL once a day as a safety net (DEFAULT_FULL_READ_EVERY_MS; the changes index does the rest). */
  fullReadsPerMonth: 30,
  /** Full sync every 6 hours (serverless.yml). */
  syncsPerMonth: 30 * 4,
  syncMemoryGb: 1,
  syncConcurrency: 16,
  s3RequestLatencyS: 0.03,
} as const;

export interface CostLine {
  readonly segmentsPerMinute: number;
  /** Objects under wal_005/ that a list-based poll lists. */
  readonly retainedSegments: number;
  readonly walcat: {
    readonly dynamodb: number;
    readonly lambda: number;
    readonly sqs: number;
    readonly s3: number;
    readonly total: number;
  };
  readonly listBased: { readonly s3List: number; readonly s3Get: number; readonly total: number };
  /** The archiver's own PUTs, the same with or without walcat. */
  readonly archiverPuts: number;
}

const readUnits = (bytes: number): number => Math.ceil(bytes / 4096) * 0.5; // eventually consistent

/**
 * @example monthlyCost(10).listBased.total // ~21.8 USD: 102 LIST pages a minute
 */
export function monthlyCost(segmentsPerMinute: number): CostLine {
  const a = ASSUMPTIONS;
  const p = PRICES;
  const segments = segmentsPerMinute * a.minutesPerMonth;
  const events = segments * a.eventsPerSegment;
  const retainedSegments = segmentsPerMinute * 60 * 24 * a.retentionDays;
  const listPages = Math.ceil((retainedSegments + a.historyFiles) / 1000) + 1;
  const sentinelGets = a.backupsRetained * 2 + a.historyFiles;

  // Ingest: per event one conditional put inside a TransactWriteItems (two write units: DynamoDB bills transactional
  // writes double) plus its copy into the changes index (one write unit); no read before the write. An upper bound:
  // a batch of fewer than 3 changed items is written one PutItem each, at one unit (docs/catalog-table.md).
  const ingestWrites = events * 3;
  const ingestReads = 0;
  // Watchdog, every minute: the cluster's partition in two ranges (state, alerts, backups, timelines, histories) and
  // one Query of the changes index for the new WAL items; cursor update.
  const newWalBytes = segmentsPerMinute * a.walItemBytes;
  const watchReads =
    a.minutesPerMonth *
    (0.5 * 2 + readUnits(a.backupsRetained * a.backupItemBytes) + readUnits(Math.max(1, newWalBytes)));
  const watchWrites = a.minutesPerMonth * 2;
  const fullReadUnits = readUnits(retainedSegments * a.walItemBytes);
  const fullReads = a.fullReadsPerMonth * fullReadUnits;
  const syncReads = a.syncsPerMonth * fullReadUnits;
  const dynamodb =
    (ingestWrites + watchWrites) * p.dynamoWriteUnit +
    (ingestReads + watchReads + fullReads + syncReads) * p.dynamoReadUnit;

  const ingestInvocations = events / a.eventsPerIngestInvocation;
  const syncDurationS = 2 + (listPages * a.s3RequestLatencyS) / a.syncConcurrency + retainedSegments * 10e-6;
  const lambda =
    (ingestInvocations + a.minutesPerMonth + a.syncsPerMonth) * p.lambdaRequest +
    (ingestInvocations * a.ingestDurationS * a.ingestMemoryGb +
      a.minutesPerMonth * a.watchDurationS * a.watchMemoryGb +
      a.syncsPerMonth * syncDurationS * a.syncMemoryGb) *
      p.lambdaArmGbSecond;

  const sqsRequests = events * (1 + 2 / a.sqsMessagesPerReceive) + a.minutesPerMonth * a.sqsEmptyReceivesPerMinute;
  const sqs = sqsRequests * p.sqsRequest;

  // Sync lists the cluster's prefix (WAL plus backup objects) every 6 hours; sentinel/metadata GETs per backup.
  const syncPages = listPages + 1;
  const backupsPerMonth = 30;
  const s3 = a.syncsPerMonth * syncPages * p.s3ListPerRequest + backupsPerMonth * 2 * p.s3GetPerRequest;

  const polls = a.minutesPerMonth;
  const s3List = polls * listPages * p.s3ListPerRequest;
  const s3Get = polls * sentinelGets * p.s3GetPerRequest;
  return {
    segmentsPerMinute,
    retainedSegments,
    walcat: { dynamodb, lambda, sqs, s3, total: dynamodb + lambda + sqs + s3 },
    listBased: { s3List, s3Get, total: s3List + s3Get },
    archiverPuts: segments * p.s3PutPerRequest,
  };
}
