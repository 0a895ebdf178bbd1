/**
 * Continuity alerts under faults: the watchdog (watchClusterWal on dynalite) delivering to a local Slack receiver
 * that answers 5xx at a seeded rate, with SSM GetParameter throttled at the same rate, with DynamoDB throttled under
 * the catalog and alert store, and through the deployed path (QueuedNotifier -> SQS -> alert-dispatch handler) with
 * SendMessage throttled and Slack failing. Eleven WAL gaps open eleven alerts; filling them resolves them. Once the
 * fault stops: every alert that opened has had its open message delivered, every resolve too (exactly once when
 * Slack refused with 5xx; at least once when a run died after delivering), and nothing is left pending.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbAlertStore } from '../../lib/adapters/dynamodb/dynamodb-alert-store.ts';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { SlackWebhookNotifier } from '../../lib/adapters/slack/slack-webhook-notifier.ts';
import { QueuedNotifier } from '../../lib/adapters/sqs/queued-notifier.ts';
import { SsmParameterSecret } from '../../lib/adapters/ssm/ssm-parameter-secret.ts';
import type { Alert } from '../../lib/domain/continuity/alert-state.ts';
import { createAlertDispatchHandler } from '../../lib/handlers/alert-dispatch-handler.ts';
import type { Notifier } from '../../lib/ports/notifier.ts';
import { watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import { DYNALITE_CREDENTIALS, type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import { attachFaults, FaultInjector, seededDraw } from '../support/faults.ts';
import {
  archiveSegments,
  BackupBook,
  baseBackup,
  CLUSTER,
  catalogBackup,
  clusterConfig,
  type Services,
} from '../use-cases/continuity-test-setup.ts';
import { FaultMatrix } from './fault-matrix.ts';

const RATES = [0.1, 0.3] as const;
const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);
/** Eleven single-segment WAL gaps: eleven wal-gap alerts to open and resolve. */
const GAPS = Array.from({ length: 11 }, (_, i) => 6 + 4 * i);
const RUNS_UNDER_FAULT = 6;
const MAX_CLEAN_RUNS = 4;
const matrix = new FaultMatrix('alerts');
const cluster = clusterConfig();
const context = {} as Context;

/** Slack stand-in: answers 500/502/503 (in turn) to a seeded share of requests while the fault is on. */
class FailingSlack {
  readonly delivered: { text: string }[] = [];
  rate = 0;
  seed = 0;
  requests = 0;
  refused = 0;
  #server?: Server;
  url = '';

  async start(): Promise<void> {
    this.#server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const n = ++this.requests;
      if (seededDraw(this.seed, n) < this.rate) {
        this.refused++;
        response.writeHead([500, 502, 503][n % 3] as number).end('server_error');
        return;
      }
      this.delivered.push(JSON.parse(body));
      response.writeHead(200).end('ok');
    });
    await new Promise<void>((resolve) => this.#server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/services/T0/B0/secret`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server?.closeAllConnections();
      this.#server?.close(() => resolve());
    });
  }
}

let ddb: DynaliteHandle;
let slack: FailingSlack;
const ssm = mockClient(SSMClient);
let ssmRate = 0;
let ssmCalls = 0;
let ssmThrottled = 0;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynalite();
  slack = new FailingSlack();
  await slack.start();
  ssm.on(GetParameterCommand).callsFake(() => {
    if (seededDraw(99, ++ssmCalls) < ssmRate) {
      ssmThrottled++;
      throw Object.assign(new Error('Rate exceeded (injected fault)'), { name: 'ThrottlingException' });
    }
    return { Parameter: { Value: slack.url } };
  });
});

afterAll(async () => {
  matrix.write();
  ssm.restore();
  await Promise.all([ddb?.close(), slack?.close()]);
});

/** A cluster with eleven WAL gaps (eleven wal-gap alerts) in a fresh table; `client` may carry the fault layer. */
async function gappedCatalog(client = ddb.client) {
  const tableName = `alerts-${++tables}`;
  const book = new BackupBook();
  const setupCatalog = new DynamoDbCatalogStore({ client: ddb.client, tableName, interpret: book.interpret });
  await setupCatalog.ensureTable();
  const setup = { catalog: setupCatalog, book } as unknown as Services;
  await setupCatalog.updateClusterState(CLUSTER, { lastFullSyncAt: T0 });
  await catalogBackup(setup, baseBackup(2, 3, minute(-47)));
  const present = Array.from({ length: 50 }, (_, i) => i + 1).filter((segNo) => !GAPS.includes(segNo));
  await archiveSegments(setup, 1, present, (segNo) => minute(segNo - 51));
  const retry = { maxAttempts: 8, baseDelayMs: 1, maxDelayMs: 5 };
  return {
    setup,
    catalog: new DynamoDbCatalogStore({ client, tableName, interpret: book.interpret, retry }),
    alerts: new DynamoDbAlertStore({ client, tableName, sleep: async () => undefined }),
    readAlerts: new DynamoDbAlertStore({ client: ddb.client, tableName }),
  };
}

const slackNotifier = () =>
  new SlackWebhookNotifier({
    secrets: new SsmParameterSecret({ client: new SSMClient({ region: 'us-east-1' }), ttlMs: 0 }),
    timeoutMs: 2_000,
  });

/** How many delivered messages carry this alert's summary, split into opens and resolves. */
function deliveriesOf(alert: Alert, since: number) {
  const texts = slack.delivered.slice(since).map((message) => message.text);
  const mine = texts.filter((text) => text.endsWith(alert.summary));
  return {
    opens: mine.filter((text) => !text.includes(': resolved: ')).length,
    resolves: mine.filter((text) => text.includes(': resolved: ')).length,
  };
}

interface WatchScenario {
  readonly name: string;
  readonly slack: boolean;
  readonly ssm: boolean;
  readonly dynamodb: boolean;
}

const WATCH_SCENARIOS: WatchScenario[] = [
  { name: 'Slack 5xx', slack: true, ssm: false, dynamodb: false },
  { name: 'SSM GetParameter throttled', slack: false, ssm: true, dynamodb: false },
  { name: 'DynamoDB throttled under catalog and alert store', slack: false, ssm: false, dynamodb: true },
];

/**
 * Runs the watchdog once a minute: `RUNS_UNDER_FAULT` runs with the fault on, then clean runs until nothing is
 * pending. Returns the runs made.
 */
async function watchUntilSettled(
  deps: Parameters<typeof watchClusterWal>[0],
  readAlerts: DynamoDbAlertStore,
  startMinute: number,
  fault: { on(): void; off(): void },
): Promise<{ runs: number; failedRuns: number; next: number }> {
  let runs = 0;
  let failedRuns = 0;
  let n = startMinute;
  for (; runs < RUNS_UNDER_FAULT; runs++, n++) {
    fault.on();
    try {
      await watchClusterWal(deps, cluster, { now: minute(n), fullReadEveryMs: 0 });
    } catch {
      failedRuns++;
    }
  }
  fault.off();
  for (let clean = 0; clean < MAX_CLEAN_RUNS; clean++, runs++, n++) {
    const outcome = await watchClusterWal(deps, cluster, { now: minute(n), fullReadEveryMs: 0 });
    expect(outcome.notifyFailures).toEqual([]);
    const pending = (await readAlerts.listAlerts(CLUSTER)).filter((alert) => alert.pending !== undefined);
    if (pending.length === 0) return { runs: runs + 1, failedRuns, next: n + 1 };
  }
  throw new Error(`alerts still pending after ${MAX_CLEAN_RUNS} clean runs`);
}

describe.each(RATES)('watchdog alerts at %s fault rate', (rate) => {
  it.each(WATCH_SCENARIOS)(
    '$name: every alert opened and resolved is delivered once the fault stops',
    async (scenario) => {
      const faults = new FaultInjector(Math.round(rate * 1000) + scenario.name.length);
      const client = createDynamoDbDocumentClient({
        region: 'us-east-1',
        dynamodb: ddb.endpoint,
        credentials: DYNALITE_CREDENTIALS,
      });
      attachFaults(client, faults);
      const world = await gappedCatalog(client);
      const since = slack.delivered.length;
      const refusedBefore = slack.refused;
      const throttledBefore = ssmThrottled;
      slack.seed = 17 + Math.round(rate * 100);
      const slackRequestsBefore = slack.requests;
      const fault = {
        on: () => {
          if (scenario.slack) slack.rate = rate;
          if (scenario.ssm) ssmRate = rate;
          if (scenario.dynamodb) faults.set([{ kind: 'throttling', rate }]);
        },
        off: () => {
          slack.rate = 0;
          ssmRate = 0;
          faults.stop();
        },
      };
      const deps = { catalog: world.catalog, alerts: world.alerts, notifier: slackNotifier() };

      const opened = await watchUntilSettled(deps, world.readAlerts, 0, fault);
      const open = (await world.readAlerts.listAlerts(CLUSTER)).filter((alert) => alert.state === 'open');
      const gapAlerts = open.filter((alert) => alert.kind === 'wal-gap');
      expect(gapAlerts.map((alert) => alert.subject).sort()).toEqual(
        GAPS.map((segNo) => `00000001000000000000${segNo.toString(16).toUpperCase().padStart(4, '0')}`),
      );
      for (const alert of open) {
        expect(alert).toMatchObject({ openNotified: true });
        expect(alert.pending).toBeUndefined();
        const { opens } = deliveriesOf(alert, since);
        if (scenario.dynamodb) expect(opens).toBeGreaterThanOrEqual(1);
        else expect(opens, `${alert.kind} ${alert.subject}`).toBe(1);
      }

      // The gaps are filled: every open alert resolves, and each resolve gets through.
      await archiveSegments(world.setup, 1, GAPS, () => minute(opened.next));
      const resolved = await watchUntilSettled(deps, world.readAlerts, opened.next, fault);
      const after = await world.readAlerts.listAlerts(CLUSTER);
      for (const alert of gapAlerts) {
        const stored = after.find((candidate) => candidate.subject === alert.subject && candidate.kind === alert.kind);
        expect(stored).toMatchObject({ state: 'resolved' });
        expect(stored?.pending).toBeUndefined();
        const { resolves } = deliveriesOf(alert, since);
        if (scenario.dynamodb) expect(resolves).toBeGreaterThanOrEqual(1);
        else expect(resolves, `${alert.kind} ${alert.subject}`).toBe(1);
      }
      const injected = scenario.slack
        ? slack.refused - refusedBefore
        : scenario.ssm
          ? ssmThrottled - throttledBefore
          : faults.injectedTotal;
      expect(injected).toBeGreaterThan(0);
      matrix.record({
        area: 'continuity alerts (wal-watch -> Slack)',
        fault: scenario.name,
        rate,
        requests: scenario.dynamodb
          ? faults.counts.requests
          : scenario.slack
            ? slack.requests - slackRequestsBefore
            : ssmCalls,
        injected,
        runs: opened.runs + resolved.runs,
        checks: [
          `${open.length} alerts opened, ${gapAlerts.length} resolved: every open and resolve delivered ${scenario.dynamodb ? 'at least once' : 'exactly once'}`,
          '0 alerts left pending',
          `${opened.failedRuns + resolved.failedRuns} watchdog runs failed under the fault`,
        ],
      });
    },
  );

  it('queued path (SQS -> alert-dispatch): SendMessage throttled and Slack 5xx, every message delivered', async () => {
    const world = await gappedCatalog();
    const since = slack.delivered.length;
    const refusedBefore = slack.refused;
    slack.seed = 500 + Math.round(rate * 100);
    const sqs = mockClient(SQSClient);
    const queue: { messageId: string; body: string }[] = [];
    let sends = 0;
    let sendThrottled = 0;
    let faultOn = false;
    sqs.on(SendMessageCommand).callsFake((input: { MessageBody: string }) => {
      if (faultOn && seededDraw(700 + rate * 100, ++sends) < rate) {
        sendThrottled++;
        throw Object.assign(new Error('Rate exceeded (injected fault)'), { name: 'ThrottlingException' });
      }
      const messageId = `m-${queue.length + 1}-${sends}`;
      queue.push({ messageId, body: input.MessageBody });
      return { MessageId: messageId };
    });
    const queued: Notifier = new QueuedNotifier({
      sqs: new SQSClient({ region: 'us-east-1' }),
      queueUrl: 'https://sqs.local/alerts',
    });
    const dispatch = createAlertDispatchHandler(slackNotifier(), new Logger({ serviceName: 't', logLevel: 'SILENT' }));
    let dispatched = 0;
    /** One pass over the queue: every visible message is delivered once; failures become visible again. */
    const dispatchRound = async (): Promise<void> => {
      const visible = queue.splice(0, queue.length);
      for (let start = 0; start < visible.length; start += 10) {
        const batch = visible.slice(start, start + 10);
        dispatched++;
        const response = await dispatch(
          {
            Records: batch.map((message) => ({ ...message, receiptHandle: message.messageId })),
          } as unknown as SQSEvent,
          context,
        );
        const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
        queue.push(...batch.filter((message) => failed.has(message.messageId)));
      }
    };
    const fault = {
      on: () => {
        faultOn = true;
        slack.rate = rate;
      },
      off: () => {
        faultOn = false;
        slack.rate = 0;
      },
    };
    const deps = { catalog: world.catalog, alerts: world.alerts, notifier: queued };
    const opened = await watchUntilSettled(deps, world.readAlerts, 0, fault);
    // The dispatcher meets the same Slack outage for three passes, then Slack recovers and the queue drains.
    fault.on();
    for (let pass = 0; pass < 3; pass++) await dispatchRound();
    fault.off();
    for (let pass = 0; queue.length > 0; pass++) {
      if (pass > 10) throw new Error(`alert queue not drained: ${queue.length} left`);
      await dispatchRound();
    }
    const open = (await world.readAlerts.listAlerts(CLUSTER)).filter((alert) => alert.state === 'open');
    for (const alert of open) expect(deliveriesOf(alert, since).opens, alert.subject).toBe(1);
    expect(sendThrottled + slack.refused - refusedBefore).toBeGreaterThan(0);
    sqs.restore();
    matrix.record({
      area: 'continuity alerts (queue -> alert-dispatch -> Slack)',
      fault: 'SQS SendMessage throttled + Slack 5xx',
      rate,
      requests: sends + slack.requests,
      injected: sendThrottled + slack.refused - refusedBefore,
      runs: opened.runs + dispatched,
      checks: [
        `${open.length} alerts opened: each open message delivered exactly once`,
        '0 messages left in the queue, 0 alerts left pending',
      ],
    });
  });
});
