/**
 * One one-minute rule drives every cluster's backupSchedule: the tick dispatches exactly the clusters whose
 * EventBridge expression is due in the minute of the scheduled event's `time`, and a named cluster runs on demand.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupSchedulerHandler } from '../../lib/handlers/backup-scheduler-handler.ts';
import type { CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';

const cluster = (id: string, schedule?: string) => [
  `  - id: ${id}`,
  `    storage: s3://acme/${id}`,
  '    retention: { keepLast: 2, pitrWindow: 7d }',
  '    hosts:',
  `      target: { tagKey: "walcat:cluster", tagValue: ${id} }`,
  '      pgData: /var/lib/postgresql/15/main',
  '      service: systemd:postgresql@15-main',
  ...(schedule ? [`    backupSchedule: ${schedule}`] : []),
];
const config = parseWalcatConfig(
  [
    'clusters:',
    ...cluster('orders-main', 'cron(0 1 * * ? *)'),
    ...cluster('billing', 'cron(30 1 ? * MON-FRI *)'),
    ...cluster('manual-only'),
  ].join('\n'),
  'tick test config',
);
const tick = (time: string) => ({
  version: '0',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time,
  detail: {},
});

let ddb: DynaliteHandle;
beforeAll(async () => {
  ddb = await startDynalite();
});
afterAll(async () => {
  await ddb?.close();
});

describe('the backup scheduler on its one-minute tick', () => {
  it('dispatches the clusters due in the tick’s minute, and a named cluster whatever its schedule', async () => {
    const tableName = 'walcat-tick';
    await new DynamoDbCatalogStore({
      client: ddb.client,
      tableName,
      interpret: () => ({ problem: 'unused' }),
    }).ensureTable();
    const sent: SendCommandRequest[] = [];
    const transport: CommandTransport = {
      send: async (request) => {
        sent.push(request);
        return { commandId: `cmd-${sent.length}` };
      },
      getInvocation: async () => undefined,
      listInvocations: async () => [],
    };
    let ids = 0;
    const handler = createBackupSchedulerHandler(
      { transport, jobs: new DynamoDbJobStore({ client: ddb.client, tableName }), newJobId: () => `job-${++ids}` },
      config,
      new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    );
    const context = {} as Context;
    const sentTo = () => sent.map((r) => (r.targets as { tagValue: string }).tagValue);

    await handler(tick('2026-11-20T00:59:00Z'), context);
    expect(sentTo()).toEqual([]);
    await handler(tick('2026-11-20T01:00:00Z'), context);
    expect(sentTo()).toEqual(['orders-main']);
    await handler(tick('2026-11-20T01:30:00Z'), context); // a Friday
    expect(sentTo()).toEqual(['orders-main', 'billing']);
    await handler(tick('2026-11-21T01:30:00Z'), context); // Saturday: billing's schedule says weekdays only
    expect(sentTo()).toEqual(['orders-main', 'billing']);
    await handler({ cluster: 'manual-only' }, context);
    expect(sentTo()).toEqual(['orders-main', 'billing', 'manual-only']);
  });
});
