import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import type { CliContext } from '../../lib/cli/cli-command.ts';
import { retentionApplyCommand } from '../../lib/cli/commands/retention-apply.ts';
import { type RetentionCommandDependencies, retentionPlanCommand } from '../../lib/cli/commands/retention-plan.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { InvalidInputError, UnsafePlanError } from '../../lib/domain/errors.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { BUCKET, type CatalogServices, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { catalogueFromEvents, retentionTestConfig, seedWalgBucket } from '../use-cases/retention-test-bucket.ts';

const TABLE = 'walcat-retention-cli';
const config = retentionTestConfig(TABLE, '{ keepDaily: 3, keepWeekly: 2, pitrWindow: 1d }');
const cluster = config.clusters[0] as ClusterConfig;
const NOW = new Date('2026-11-21T03:00:00Z');

let services: CatalogServices;
let catalog: CatalogStore;
let deps: RetentionCommandDependencies;
beforeAll(async () => {
  services = await startCatalogServices(config);
  const from = services.s3.events().length;
  await seedWalgBucket(services, 'orders-main');
  catalog = await catalogueFromEvents(services, config, TABLE, from);
  const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: TABLE });
  deps = { catalog: () => catalog, objects: () => services.objects, plans: () => plans };
});
afterAll(async () => {
  await services.close();
});

function context(
  options: { json?: boolean; positionals?: string[]; now?: Date; clusters?: ClusterConfig[]; store?: boolean } = {},
) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CliContext = {
    config,
    clusters: options.clusters ?? [cluster],
    json: options.json ?? false,
    options: options.store ? { store: true } : {},
    positionals: options.positionals ?? [],
    now: options.now ?? NOW,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
  };
  return { ctx, out, err };
}

describe('walcat retention plan / apply', () => {
  let planId = '';

  it('prints exactly the contract JSON for --json', async () => {
    const { ctx, out } = context({ json: true });
    expect(await retentionPlanCommand(deps).run(ctx)).toBe(0);
    const document = JSON.parse(out.join(''));
    expect(Object.keys(document)).toEqual(['planId', 'keep', 'delete', 'bytesFreed']);
    expect(Object.keys(document.delete)).toEqual(['backups', 'wal']);
    expect(Object.keys(document.keep[0])).toEqual(['name', 'reasons']);
    expect(Object.keys(document.delete.wal[0])).toEqual(['timeline', 'from', 'to', 'count']);
    expect(document.keep.at(-1)).toEqual({
      name: 'base_00000001000000000000003C',
      reasons: ['newest', 'daily 2026-11-21', 'weekly 2026-W47', 'pitr-window'],
    });
    expect(document.delete.backups).toHaveLength(7);
    expect(document.delete.wal[0]).toEqual({
      timeline: 1,
      from: '000000010000000000000012',
      to: '000000010000000000000023',
      count: 18,
    });
    expect(typeof document.bytesFreed).toBe('number');
    planId = document.planId;
    expect(planId).toMatch(/^orders-main-20261121T030000Z-[0-9a-f]{4}$/);
  });

  it('only shows a plan unless --store: the pending plan stays pending', async () => {
    const stored = context({ store: true });
    expect(await retentionPlanCommand(deps).run(stored.ctx)).toBe(0);
    const pendingId = /stored as (\S+) /.exec(stored.out.join('\n'))?.[1] ?? '';
    const plans = deps.plans();
    const before = await plans.listPlans(cluster.id);
    expect(before.find((header) => header.planId === pendingId)?.status).toBe('pending');

    const shown = context({ now: new Date(NOW.getTime() + 1000) });
    expect(await retentionPlanCommand(deps).run(shown.ctx)).toBe(0);
    expect(shown.out.join('\n')).toMatch(/shown only, not stored: .*walcat retention plan --store/);
    const after = await plans.listPlans(cluster.id);
    expect(after).toEqual(before);
  });

  it('prints readable tables with the stored plan id', async () => {
    const { ctx, out } = context({ store: true });
    expect(await retentionPlanCommand(deps).run(ctx)).toBe(0);
    const text = out.join('\n');
    expect(text).toContain('kept backups (5)');
    expect(text).toContain('deleted backups (7)');
    expect(text).toContain('deleted WAL (');
    expect(text).toMatch(/bytes freed: \d+/);
    expect(text).toMatch(/stored as orders-main-20261121T030000Z-[0-9a-f]{4} .*walcat retention apply/);
    planId = /stored as (\S+) /.exec(text)?.[1] ?? '';
  });

  it('exits 1 with the reason when the plan is refused', async () => {
    const other = { ...cluster, id: 'empty-cluster' as ClusterConfig['id'] };
    const { ctx, out, err } = context({ json: true, clusters: [other] });
    expect(await retentionPlanCommand(deps).run(ctx)).toBe(1);
    expect(JSON.parse(out.join(''))).toEqual({
      cluster: 'empty-cluster',
      error: expect.stringMatching(/no complete backup/),
    });
    expect(err.join('')).toMatch(/retention plan refused: cluster empty-cluster has no complete backup/);
  });

  it('apply refuses before a full sync, then applies the plan by id alone', async () => {
    await expect(retentionApplyCommand(deps).run(context({ positionals: [planId] }).ctx)).rejects.toThrow(
      UnsafePlanError,
    );
    await catalog.updateClusterState(cluster.id, { lastFullSyncAt: new Date(NOW.getTime() + 60_000) });
    const { ctx, out } = context({ json: true, positionals: [planId], now: new Date(NOW.getTime() + 120_000) });
    expect(await retentionApplyCommand(deps).run(ctx)).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({
      planId,
      status: 'applied',
      deleted: expect.any(Number),
      locked: [],
      failed: [],
      spared: [],
      deletes: 'objects',
    });
  });

  it('says a cluster without a retention policy has nothing deleted, exit 0, and plans nothing', async () => {
    const watched = parseWalcatConfig(
      ['catalogTable: watch-only', 'clusters:', '  - id: watch-only', `    storage: s3://${BUCKET}/orders-main`].join(
        '\n',
      ),
      'watch-only config',
    ).clusters[0] as ClusterConfig;
    expect(watched.retention).toBeUndefined();
    const json = context({ json: true, clusters: [watched], store: true });
    expect(await retentionPlanCommand(deps).run(json.ctx)).toBe(0);
    expect(JSON.parse(json.out.join(''))).toEqual({
      planId: null,
      keep: [],
      delete: { backups: [], wal: [] },
      bytesFreed: 0,
      reason: 'no retention policy: walcat deletes nothing of this cluster',
    });
    const text = context({ clusters: [watched] });
    expect(await retentionPlanCommand(deps).run(text.ctx)).toBe(0);
    expect(text.out.join('\n')).toContain(
      'cluster watch-only: no retention policy: walcat deletes nothing of this cluster',
    );
    expect(await deps.plans().listPlans(watched.id)).toEqual([]);
  });

  it('apply names the expected form of a malformed or unknown plan id', async () => {
    await expect(retentionApplyCommand(deps).run(context({ positionals: ['nope'] }).ctx)).rejects.toThrow(
      InvalidInputError,
    );
    await expect(retentionApplyCommand(deps).run(context({ positionals: [] }).ctx)).rejects.toThrow(
      /usage: walcat retention apply PLAN_ID/,
    );
    const unknown = 'orders-main-20200101T000000Z-0000';
    await expect(retentionApplyCommand(deps).run(context({ positionals: [unknown] }).ctx)).rejects.toThrow(
      /does not exist/,
    );
  });
});
