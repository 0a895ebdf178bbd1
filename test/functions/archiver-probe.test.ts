/**
 * The real archiver-probe handler: dispatches the probe script to the tag group, reads the answer back, and compares
 * it with the catalog (dynalite). The transport double answers as a primary whose last archived segment never
 * reached the bucket.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import { ARCHIVER_PROBE_SQL } from '../../lib/domain/host/archiver-probe-script.ts';
import { createArchiverProbeHandler } from '../../lib/handlers/archiver-probe-handler.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';

const TABLE = 'walcat-probe-test';
let ddb: DynaliteHandle;
let config: WalcatConfig;
const sent: SendCommandRequest[] = [];

const answer = (lastArchivedTime: string, failedCount: number) =>
  `WALCAT_RESULT {"status":"success","script":"archiver-probe","data":${JSON.stringify({
    current_lsn: '0/5000060',
    last_archived_wal: '000000010000000000000004',
    last_archived_time: lastArchivedTime,
    failed_count: failedCount,
    last_failed_wal: failedCount > 0 ? '000000010000000000000005' : null,
    last_failed_time: failedCount > 0 ? '2026-11-21T11:59:00.000000Z' : null,
    in_recovery: false,
    server_version_num: 150004,
    stats_reset: null,
    timeline: 1,
  })}}\n`;

let stdout = '';
const transport: CommandTransport = {
  send: async (request) => {
    sent.push(request);
    return { commandId: `probe-${sent.length}` };
  },
  getInvocation: async () => undefined,
  listInvocations: async (commandId): Promise<CommandInvocation[]> => [
    { commandId, instanceId: 'i-primary', status: 'Success', exitCode: 0, stdoutTail: stdout, stderrTail: '' },
  ],
};

beforeAll(async () => {
  ddb = await startDynalite();
  config = parseWalcatConfig(
    [
      `catalogTable: ${TABLE}`,
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://acme/orders-main',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: {}',
      '    hosts:',
      '      target: { tagKey: "walcat:cluster", tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/main',
      '      osUser: postgres',
      '      service: systemd:postgresql@15-main',
    ].join('\n'),
    'probe test config',
  );
});
afterAll(() => ddb?.close());

describe('archiver-probe handler', () => {
  it('sends the read-only probe to the tag group and reports WAL archived on the host but missing from the bucket, then rising failures', async () => {
    const catalog = new DynamoDbCatalogStore({
      client: ddb.client,
      tableName: TABLE,
      interpret: createBackupInterpreter(config.clusters),
    });
    await catalog.ensureTable();
    const handler = createArchiverProbeHandler(
      {
        transport,
        jobs: new DynamoDbJobStore({ client: ddb.client, tableName: TABLE }),
        catalog,
        clusters: config.clusters,
        newJobId: () => `probe-job-${sent.length + 1}`,
        sleep: async () => undefined,
      },
      new Logger({ serviceName: 'test', logLevel: 'SILENT' }),
    );
    stdout = answer('2020-01-01T00:00:00.000000Z', 0);
    const first = await handler({ cluster: 'orders-main' }, {} as Context);
    expect(sent[0]?.targets).toEqual({ tagKey: 'walcat:cluster', tagValue: 'orders-main' });
    expect(sent[0]?.timeoutSeconds).toBe(120);
    expect(sent[0]?.script).toContain(ARCHIVER_PROBE_SQL.replaceAll("'", "'\\''").split('\n')[0]);
    expect(first).toMatchObject({
      assessed: true,
      currentLsn: '0/5000060',
      newFailures: 0,
      findings: ['archived-not-in-bucket'],
    });

    stdout = answer('2020-01-01T00:00:00.000000Z', 4);
    const second = await handler({ cluster: 'orders-main' }, {} as Context);
    expect(second).toMatchObject({
      assessed: true,
      newFailures: 4,
      findings: ['archive-failing', 'archived-not-in-bucket'],
    });
    await expect(handler({ cluster: 'nope' }, {} as Context)).rejects.toThrow(/cluster "nope" is not in the config/u);
  });
});
