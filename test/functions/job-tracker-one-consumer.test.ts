/**
 * The job tracker is the one consumer of Run Command status events: the real handler, on the sample events of
 * events/, against the one job store on dynalite, advances a restore (sends its next step) and tracks a backup
 * alike, and its one schedule runs the watchdog of both kinds.
 */
import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import { newJob } from '../../lib/domain/jobs/job.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { createJobTrackerHandler } from '../../lib/handlers/job-tracker-handler.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import { startRestore } from '../../lib/use-cases/start-restore.ts';
import type { TrackCommandDependencies } from '../../lib/use-cases/track-command-status.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';
import {
  cluster,
  FakeCatalog,
  FakeInstances,
  FakeTransport,
  minutes,
  RecordingNotifier,
  restoreConfig,
} from '../use-cases/restore/restore-fixtures.ts';

const NEW_HOST = 'i-0a1b2c3d4e5f60718';
const context = {} as Context;
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });
const sample = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8')) as {
    'detail-type': string;
    time: string;
    detail: Record<string, string>;
  };

let ddb: DynaliteHandle;
let tables = 0;

beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(() => ddb?.close());

/** A fresh table per test, the one job store on it, and the restore and tracker dependencies over that store. */
async function wiring(now: () => Date) {
  const tableName = `walcat-one-consumer-${++tables}`;
  await new DynamoDbCatalogStore({
    client: ddb.client,
    tableName,
    interpret: createBackupInterpreter([]),
  }).ensureTable();
  const store = new DynamoDbJobStore({ client: ddb.client, tableName });
  const transport = new FakeTransport();
  transport.clock = now;
  const restore: RestoreDeps = {
    catalog: new FakeCatalog().asStore(),
    jobs: store,
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: restoreConfig().clusters,
    now,
  };
  const tracker: TrackCommandDependencies = {
    jobs: store,
    transport,
    clusters: restoreConfig().clusters,
    restore,
  };
  return { store, transport, restore, tracker };
}

describe('the job tracker, one consumer of command status events', () => {
  it("advances a restore on its step's status event and tracks a host job's event, with one handler", async () => {
    const now = () => minutes(200);
    const { store, transport, restore, tracker } = await wiring(now);
    const handler = createJobTrackerHandler(tracker, logger);
    const { job } = await startRestore(restore, {
      cluster: cluster(),
      target: parseRestoreTarget({ to: '2026-11-20T10:30:00Z' }),
      host: { kind: 'instance', instanceId: NEW_HOST },
      inPlace: false,
      jobId: 'r-one',
    });
    const preflight = transport.finish('Success');
    const event = sample('ssm-restore-step-success.json');
    event.detail['command-id'] = preflight;
    expect(await handler(event, context)).toEqual({
      commandId: preflight,
      tracked: true,
      job: 'r-one',
      state: 'running',
      transition: 'step-succeeded',
    });
    // The duplicate delivery changes nothing and sends nothing.
    expect(await handler(event, context)).toMatchObject({ tracked: true, transition: 'ignored' });
    expect(transport.sent.map((request) => request.comment)).toEqual([
      'walcat restore r-one preflight',
      'walcat restore r-one stop-postgres',
    ]);
    const stored = await store.getById(job.cluster, 'r-one');
    expect(stored?.steps.map((step) => step.state).slice(0, 2)).toEqual(['success', 'queued']);

    // A host job's command in the same table goes through the same handler.
    const backup = newJob({
      id: 'b-one',
      cluster: job.cluster,
      type: 'backup-push',
      commandId: 'cmd-host',
      now: now(),
    });
    await store.create(backup);
    const hostEvent = sample('ssm-command-status-change.json');
    hostEvent.detail['command-id'] = 'cmd-host';
    hostEvent.detail.status = 'InProgress';
    expect(await handler(hostEvent, context)).toMatchObject({ tracked: true, job: 'b-one', state: 'running' });
    const other = sample('ssm-restore-step-failed.json');
    other.detail['command-id'] = 'cmd-of-someone-else';
    expect(await handler(other, context)).toEqual({ commandId: 'cmd-of-someone-else', tracked: false });
  });

  it("runs the restore watchdog on the tracker's schedule: a quiet step that ended is polled and advanced", async () => {
    let clock = minutes(300).getTime();
    const now = () => new Date(clock);
    const { transport, restore, tracker } = await wiring(now);
    const handler = createJobTrackerHandler(tracker, logger);
    await startRestore(restore, {
      cluster: cluster(),
      target: parseRestoreTarget({ to: '2026-11-20T10:30:00Z' }),
      host: { kind: 'instance', instanceId: NEW_HOST },
      inPlace: false,
      jobId: 'r-quiet',
    });
    transport.finish('Success');
    // No event arrives; ten minutes later the schedule fires.
    clock += 10 * 60_000;
    const schedule = { ...sample('job-tracker-schedule.json'), time: now().toISOString() };
    const answer = (await handler(schedule, context)) as { restores?: { polled: number; advanced: number } };
    expect(answer.restores).toMatchObject({ polled: 1, advanced: 1 });
    expect(transport.sent.map((request) => request.comment)).toEqual([
      'walcat restore r-quiet preflight',
      'walcat restore r-quiet stop-postgres',
    ]);
  });
});
