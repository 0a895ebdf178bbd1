import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbCatalogStore } from '../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import { DynamoDbJobStore } from '../../lib/adapters/dynamodb/dynamodb-job-store.ts';
import type { CliCommand, CliContext } from '../../lib/cli/cli-command.ts';
import { backupCommand } from '../../lib/cli/commands/backup.ts';
import { jobsCommand } from '../../lib/cli/commands/jobs.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { WalcatConfig } from '../../lib/domain/cluster.ts';
import type { CommandTransport, SendCommandRequest } from '../../lib/ports/command-transport.ts';
import { type DynaliteHandle, startDynalite } from '../support/dynalite.ts';

const TABLE = 'walcat-cli-jobs';
let ddb: DynaliteHandle;
let jobs: DynamoDbJobStore;
let config: WalcatConfig;
const sent: SendCommandRequest[] = [];
const transport: CommandTransport = {
  send: async (request) => {
    sent.push(request);
    return { commandId: `cmd-${sent.length}` };
  },
  getInvocation: async () => undefined,
  listInvocations: async () => [],
};

beforeAll(async () => {
  ddb = await startDynalite();
  await new DynamoDbCatalogStore({
    client: ddb.client,
    tableName: TABLE,
    interpret: createBackupInterpreter([]),
  }).ensureTable();
  jobs = new DynamoDbJobStore({ client: ddb.client, tableName: TABLE });
  config = parseWalcatConfig(
    [
      `catalogTable: ${TABLE}`,
      'clusters:',
      ...['orders-main', 'billing'].flatMap((id) => [
        `  - id: ${id}`,
        `    storage: s3://acme/${id}`,
        '    retention: { keepLast: 2, pitrWindow: 7d }',
        '    alerts: {}',
        '    hosts:',
        `      target: { tagKey: "walcat:cluster", tagValue: ${id} }`,
        '      pgData: /var/lib/postgresql/15/main',
        '      osUser: postgres',
        '      service: systemd:postgresql@15-main',
      ]),
    ].join('\n'),
    'cli test config',
  );
});
afterAll(() => ddb?.close());

async function run(
  command: CliCommand,
  clusters: readonly string[],
  json: boolean,
  options: CliContext['options'] = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await command.run({
    config,
    clusters: config.clusters.filter((cluster) => clusters.includes(cluster.id)),
    json,
    options,
    positionals: [],
    now: new Date('2026-11-21T01:10:00Z'),
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

let ids = 0;
const backup = backupCommand({ hostCommands: () => ({ transport, jobs, newJobId: () => `job-${++ids}` }) });
const list = jobsCommand({ jobs: () => jobs });

describe('walcat backup / walcat jobs', () => {
  it('dispatches, refuses a second backup with exit 1 naming the running job, and lists jobs as JSON and as a table', async () => {
    const first = await run(backup, ['orders-main'], true, { permanent: true });
    expect(first).toMatchObject({ code: 0 });
    expect(JSON.parse(first.stdout)).toEqual({
      cluster: 'orders-main',
      dispatched: true,
      job: 'job-1',
      commandId: 'cmd-1',
    });
    expect(sent[0]?.script).toContain("'--permanent'");

    const second = await run(backup, ['orders-main'], true);
    expect(second.code).toBe(1);
    expect(JSON.parse(second.stdout)).toMatchObject({ dispatched: false, runningJob: 'job-1' });
    expect(second.stderr).toMatch(/backup job job-1 is still running/u);

    expect((await run(backup, ['orders-main', 'billing'], false)).code).toBe(2);

    const listed = await run(list, ['orders-main', 'billing'], true);
    expect(listed.code).toBe(0);
    const [row] = JSON.parse(listed.stdout);
    expect(JSON.parse(listed.stdout)).toHaveLength(1);
    expect(row).toMatchObject({
      cluster: 'orders-main',
      id: 'job-1',
      type: 'backup-push',
      state: 'queued',
      host: null,
      commandId: 'cmd-1',
      outcome: null,
    });
    const table = await run(list, ['orders-main'], false);
    expect(table.stdout.split('\n')[0]).toMatch(
      /^CLUSTER\s+JOB\s+TYPE\s+STATE\s+HOST\s+STARTED\s+DURATION\s+OUTCOME$/u,
    );
    expect(table.stdout).toMatch(/orders-main\s+job-1\s+backup-push\s+queued/u);
    expect((await run(list, ['orders-main'], false, { limit: 'x' })).code).toBe(2);
  });
});
