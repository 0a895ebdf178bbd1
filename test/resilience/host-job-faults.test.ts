/**
 * Scheduled backup-push jobs under faults: SSM throttling (SendCommand, GetCommandInvocation,
 * ListCommandInvocations), lost status-change events and DynamoDB throttling under the job store, at 10% and 30%.
 * Each scheduled minute dispatches a backup when none runs; a command runs for a minute (primary pushes, standby
 * skips); events that arrive go to trackCommandStatus (a failed handling is retried twice, then dropped) and the
 * watchdog (reconcileJobs) polls silent jobs. Once the fault stops every job must end in success with its host,
 * the backup lock must be free, and no two backup commands may ever run at once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { TransientError } from '../../lib/domain/errors.ts';
import type { CommandStatusUpdate } from '../../lib/domain/jobs/command-status.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import { dispatchBackup } from '../../lib/use-cases/dispatch-backup.ts';
import { reconcileJobs } from '../../lib/use-cases/reconcile-stuck-jobs.ts';
import { trackCommandStatus } from '../../lib/use-cases/track-command-status.ts';
import { type CatalogTableFixture, startCatalogTable } from '../support/catalog-table.ts';
import { DYNALITE_CREDENTIALS } from '../support/dynalite.ts';
import { attachFaults, FaultInjector, seededDraw } from '../support/faults.ts';
import { FaultMatrix } from './fault-matrix.ts';

const RATES = [0.1, 0.3] as const;
const PRIMARY = 'i-0primary000000001';
const STANDBY = 'i-0standby000000002';
const T0 = Date.parse('2026-11-21T01:00:00Z');
const MINUTES_UNDER_FAULT = 30;
const MAX_MINUTES = 90;
const SUCCESS = 'WALCAT_RESULT {"status":"success","script":"backup-push","data":null}\n';
const SKIPPED = 'WALCAT_RESULT {"status":"skipped","script":"backup-push","step":"skip-standby","reason":"standby"}\n';
const matrix = new FaultMatrix('host-jobs');
const config = parseWalcatConfig(
  [
    'catalogTable: unused',
    'clusters:',
    '  - id: orders-main',
    '    storage: s3://acme/orders-main',
    '    retention: { keepLast: 2, pitrWindow: 7d }',
    '    hosts:',
    '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
    '      pgData: /var/lib/postgresql/15/main',
    '      service: systemd:postgresql@15-main',
  ].join('\n'),
  'host job faults config',
);
const cluster = config.clusters[0] as (typeof config.clusters)[number];

let catalog: CatalogTableFixture;
beforeAll(async () => {
  catalog = await startCatalogTable('host-jobs');
});
afterAll(async () => {
  matrix.write();
  await catalog?.close();
});

/** SSM and two hosts behind the CommandTransport port, throttling at a seeded rate while `rate` > 0. */
class SsmHosts implements CommandTransport {
  rate = 0;
  minute = 0;
  calls = 0;
  throttled = 0;
  lostEvents = 0;
  overlaps = 0;
  readonly commands: { id: string; sentAt: number; done: boolean }[] = [];
  readonly events: { update: CommandStatusUpdate; tries: number }[] = [];

  constructor(readonly seed: number) {}

  #call(): void {
    if (seededDraw(this.seed, ++this.calls) < this.rate) {
      this.throttled++;
      throw new TransientError('SSM throttled the request (injected fault); retry');
    }
  }

  async send(_request: SendCommandRequest) {
    this.#call();
    if (this.commands.some((command) => !command.done)) this.overlaps++;
    const id = `cmd-${this.commands.length + 1}`;
    this.commands.push({ id, sentAt: this.minute, done: false });
    return { commandId: id };
  }

  #invocations(id: string): CommandInvocation[] {
    const command = this.commands.find((candidate) => candidate.id === id);
    if (command === undefined) return [];
    const status = command.done ? 'Success' : 'InProgress';
    return [
      {
        commandId: id,
        instanceId: PRIMARY,
        status,
        exitCode: command.done ? 0 : -1,
        stdoutTail: command.done ? SUCCESS : '',
        stderrTail: '',
      },
      {
        commandId: id,
        instanceId: STANDBY,
        status,
        exitCode: command.done ? 0 : -1,
        stdoutTail: command.done ? SKIPPED : '',
        stderrTail: '',
      },
    ];
  }

  async getInvocation(commandId: string, instanceId: string) {
    this.#call();
    return this.#invocations(commandId).find((invocation) => invocation.instanceId === instanceId);
  }

  async listInvocations(commandId: string) {
    this.#call();
    return this.#invocations(commandId);
  }

  tick(minute: number): void {
    this.minute = minute;
    for (const command of this.commands) {
      if (command.done || command.sentAt >= minute) continue;
      command.done = true;
      if (seededDraw(this.seed + 7, Number(command.id.slice(4))) < this.rate) {
        this.lostEvents++;
        continue;
      }
      this.events.push({
        update: { commandId: command.id, status: 'Success', at: new Date(T0 + minute * 60_000) },
        tries: 0,
      });
    }
  }
}

describe.each(RATES)('scheduled backup jobs at %s fault rate', (rate) => {
  it('SSM throttling, lost events and DynamoDB throttling: every job ends in success, the lock is freed, no overlap', async () => {
    const faults = new FaultInjector(Math.round(rate * 1000) + 3);
    const client = createDynamoDbDocumentClient({
      region: 'us-east-1',
      dynamodb: catalog.ddb.endpoint,
      credentials: DYNALITE_CREDENTIALS,
    });
    attachFaults(client, faults);
    const table = await catalog.newTable();
    const jobs = new DynamoDbJobStore({ client, tableName: table });
    const readJobs = new DynamoDbJobStore({ client: catalog.client, tableName: table });
    const hosts = new SsmHosts(Math.round(rate * 100));
    const track = { jobs, transport: hosts, clusters: config.clusters };
    let dispatched = 0;
    let failures = 0;
    let jobIds = 0;
    let minutes = 0;
    for (let minute = 0; minute <= MAX_MINUTES; minute++) {
      minutes = minute;
      const underFault = minute <= MINUTES_UNDER_FAULT;
      hosts.rate = underFault ? rate : 0;
      if (underFault)
        faults.set([
          { kind: 'throttling', rate },
          { kind: 'response-lost', rate: rate / 2 },
        ]);
      else faults.stop();
      hosts.tick(minute);
      const now = new Date(T0 + minute * 60_000);
      for (const event of hosts.events.splice(0, hosts.events.length)) {
        try {
          await trackCommandStatus(track, event.update);
        } catch {
          failures++;
          if (++event.tries <= 2) hosts.events.push(event);
        }
      }
      try {
        await reconcileJobs(track, { clusters: config.clusters, now, silenceMs: 2 * 60_000 });
      } catch {
        failures++;
      }
      // The schedule asks for a backup every five minutes while the fault lasts.
      if (underFault && minute % 5 === 0) {
        try {
          const outcome = await dispatchBackup(
            { transport: hosts, jobs, newJobId: () => `job-${++jobIds}` },
            { cluster, now, requestedBy: 'schedule' },
          );
          if (outcome.kind === 'dispatched') dispatched++;
        } catch {
          failures++;
        }
      }
      if (!underFault) {
        const all = await readJobs.list(cluster.id);
        if (all.every((job) => job.state === 'success')) break;
      }
    }
    const all = await readJobs.list(cluster.id);
    expect(dispatched).toBeGreaterThan(0);
    for (const job of all) expect(job, job.id).toMatchObject({ state: 'success', host: PRIMARY });
    expect(hosts.overlaps, 'a second backup-push was sent while one ran').toBe(0);
    const after = await dispatchBackup(
      { transport: hosts, jobs: readJobs, newJobId: () => 'job-final' },
      { cluster, now: new Date(T0 + (MAX_MINUTES + 1) * 60_000) },
    );
    expect(
      after,
      JSON.stringify({ jobs: all.map((j) => [j.id, j.state]), jobIds, after, commands: hosts.commands }),
    ).toMatchObject({ kind: 'dispatched' });
    expect(hosts.throttled + hosts.lostEvents + faults.injectedTotal).toBeGreaterThan(0);
    matrix.record({
      area: 'host jobs (backup-push over SSM, tracker + watchdog)',
      fault: 'SSM throttling + lost status events + DynamoDB throttling and lost responses',
      rate,
      requests: hosts.calls + faults.counts.requests,
      injected: hosts.throttled + hosts.lostEvents + faults.injectedTotal,
      runs: minutes,
      checks: [
        `${all.length} jobs, all success on the primary; lock free afterwards`,
        `${hosts.commands.length} commands sent, 0 overlapping`,
        `${failures} failed handlings/dispatches under the fault`,
      ],
    });
  });
});
