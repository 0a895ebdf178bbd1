/**
 * What retention may delete is decided again at apply time, against the catalog and the bucket as they are then,
 * on s3rver + dynalite through the real plan, sync and apply use cases: a backup the plan never saw (its events
 * were lost, or an ingest race had marked its live sentinel deleted), a backup whose sentinel or metadata.json
 * cannot be read, and a backup still uploading all keep what they need.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbPlanStore } from '../../lib/adapters/dynamodb/dynamodb-plan-store.ts';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ObjectEvent } from '../../lib/domain/catalog/object-event.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import {
  ClockSkewError,
  NoRetentionPolicyError,
  StaleCatalogError,
} from '../../lib/domain/retention/retention-errors.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { runScheduledRetention } from '../../lib/use-cases/scheduled-retention.ts';
import { syncCatalog } from '../../lib/use-cases/sync-catalog.ts';
import { BUCKET, type CatalogServices, readers, startCatalogServices } from '../use-cases/catalog-test-setup.ts';
import { listBucket, plannedWalKeys, seedWalgBucket, segName } from '../use-cases/retention-test-bucket.ts';

const SEGMENT = 16 * 1024 * 1024;
const HOUR = 3_600_000;
const PLANNED_AT = new Date('2026-11-21T03:00:00Z');
const ROOTS = ['lost-events', 'ingest-race', 'unreadable', 'uploading', 'uploading-apply', 'clock'] as const;

function configFor(root: string): WalcatConfig {
  return parseWalcatConfig(
    [
      `catalogTable: apply-time-${root}`,
      'clusters:',
      `  - id: ${root}`,
      `    storage: s3://${BUCKET}/${root}`,
      '    layout: wal-g',
      '    retention: { keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, incompleteGrace: 24h, timezone: UTC }',
      '    alerts: {}',
    ].join('\n'),
    'apply-time test config',
  );
}
const allClusters = parseWalcatConfig(
  [
    'catalogTable: apply-time',
    'clusters:',
    ...ROOTS.flatMap((root) => [
      `  - id: ${root}`,
      `    storage: s3://${BUCKET}/${root}`,
      '    layout: wal-g',
      '    retention: { keepDaily: 3, keepWeekly: 2, pitrWindow: 1d, applyGrace: 6h, incompleteGrace: 24h, timezone: UTC }',
    ]),
    '  - id: watch-only',
    `    storage: s3://${BUCKET}/watch-only`,
  ].join('\n'),
  'apply-time test clusters',
);

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(allClusters);
});
afterAll(async () => {
  await services.close();
});

const clusterOf = (root: string): ClusterConfig => configFor(root).clusters[0] as ClusterConfig;
const put = (root: string, key: string, body: string) => services.objects.putObject(BUCKET, `${root}/${key}`, body);
const walKey = (root: string, segNo: number) => `${root}/wal_005/${segName(segNo)}.lz4`;
const sentinelKey = (root: string, name: string) => `${root}/basebackups_005/${name}_backup_stop_sentinel.json`;

/** A full backup starting in `startSegNo` and finishing in the next segment, at `finish`. */
async function putBackup(
  root: string,
  startSegNo: number,
  finish: Date,
  options: { permanent?: boolean; sentinel?: string; metadata?: string | null } = {},
): Promise<string> {
  const name = `base_${segName(startSegNo)}`;
  const start = new Date(finish.getTime() - 5 * 60_000);
  const startLsn = startSegNo * SEGMENT + 40;
  const finishLsn = (startSegNo + 1) * SEGMENT + 4096;
  const permanent = options.permanent ?? false;
  // At least the compressed size the metadata states (1024 bytes), and pg_control: a complete backup's payload.
  await put(root, `basebackups_005/${name}/tar_partitions/part_001.tar.lz4`, `data of ${name}`.padEnd(1024, '.'));
  await put(root, `basebackups_005/${name}/tar_partitions/pg_control.tar.lz4`, 'pg_control');
  if (options.metadata !== null) {
    await put(
      root,
      `basebackups_005/${name}/metadata.json`,
      options.metadata ??
        `{"start_time":"${start.toISOString()}","finish_time":"${finish.toISOString()}","hostname":"pg-orders-1","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":${permanent},"system_identifier":7321456789012345678,"uncompressed_size":2048,"compressed_size":1024}`,
    );
  }
  await put(
    root,
    `basebackups_005/${name}_backup_stop_sentinel.json`,
    options.sentinel ??
      `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2048,"CompressedSize":1024,"Version":2,"StartTime":"${start.toISOString()}","FinishTime":"${finish.toISOString()}","Hostname":"pg-orders-1","DataDir":"/var/lib/postgresql/15/main","IsPermanent":${permanent}}`,
  );
  return name;
}

/** The emulator's notifications since `from`, parsed, filtered (lost events) and optionally re-timed. */
function eventsSince(from: number, keep: (event: ObjectEvent) => boolean = () => true): ObjectEvent[] {
  return services.s3
    .events()
    .slice(from)
    .flatMap((event) => parseIngestInvocation(event))
    .flatMap((record) => record.events)
    .filter(keep);
}

async function ingest(catalog: CatalogStore, config: WalcatConfig, events: readonly ObjectEvent[]): Promise<void> {
  const outcome = await ingestObjectEvents({ ...readers(services), catalog, clusters: config.clusters }, [
    { recordId: 'test', events },
  ]);
  expect(outcome.skipped).toEqual([]);
  expect(outcome.failedRecordIds).toEqual([]);
}

function depsOf(catalog: CatalogStore, root: string) {
  const plans = new DynamoDbPlanStore({ client: services.ddb.client, tableName: `apply-time-${root}` });
  return { catalog, objects: services.objects, plans, planIdSuffix: () => 'a701' };
}

const sync = (catalog: CatalogStore, cluster: ClusterConfig, now: Date) =>
  syncCatalog({ ...readers(services), catalog }, cluster, { now });

describe('retention apply re-plans against the catalog at apply time', () => {
  it('keeps the WAL of a permanent backup and of a kept daily backup whose events were lost before the plan', async () => {
    const root = 'lost-events';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    await seedWalgBucket(services, root);
    // Events lost: a permanent backup between the 12th and 13th, and the newest backup of the 19th (keepDaily keeps it).
    const permanent = await putBackup(root, 0x1a, new Date('2026-11-12T12:00:00Z'), { permanent: true });
    const evening = await putBackup(root, 0x36, new Date('2026-11-19T20:00:00Z'));
    const catalog = await services.newCatalog(`apply-time-${root}`);
    await ingest(
      catalog,
      config,
      eventsSince(from, (event) => !event.key.includes(permanent) && !event.key.includes(evening)),
    );
    const deps = depsOf(catalog, root);
    const planned = await planClusterRetention(deps, cluster, PLANNED_AT);
    const theirWal = [0x1a, 0x1b, 0x36, 0x37].map((segNo) => walKey(root, segNo));
    // The plan, not knowing them, deletes their WAL.
    const plannedWal = await plannedWalKeys(catalog, cluster, planned.plan);
    for (const key of theirWal) expect(plannedWal).toContain(key);

    await sync(catalog, cluster, new Date(PLANNED_AT.getTime() + HOUR));
    const applyAt = new Date(PLANNED_AT.getTime() + 7 * HOUR);
    const outcome = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: applyAt,
      explicit: false,
    });
    expect(outcome.status).toBe('applied');
    const after = await listBucket(services, root);
    for (const key of theirWal) expect(after.has(key)).toBe(true);
    expect(after.has(sentinelKey(root, permanent))).toBe(true);
    expect(after.has(sentinelKey(root, evening))).toBe(true);
    if (outcome.status !== 'applied') throw new Error('not applied');
    const spared = new Map(outcome.spared.map((spare) => [spare.key, spare.reason]));
    expect(spared.get(walKey(root, 0x1a))).toMatch(new RegExp(`${permanent}.*permanent`));
    expect(spared.get(walKey(root, 0x36))).toMatch(new RegExp(`${evening}.*daily 2026-11-19`));
    // Whatever the fresh evaluation also deletes still goes.
    expect(after.has(walKey(root, 0x12))).toBe(false);

    const continuity = await evaluateContinuity(catalog, cluster, {
      now: applyAt,
      persistCursor: false,
      forceFull: true,
    });
    const consistent = continuity.windows.backups.filter((backup) => backup.consistent).map((backup) => backup.name);
    expect(consistent).toContain(permanent);
    expect(consistent).toContain(evening);
  });

  it('keeps the WAL of a backup whose live sentinel an ingest race had marked deleted when the plan was made', async () => {
    const root = 'ingest-race';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    const seeded = await seedWalgBucket(services, root);
    const catalog = await services.newCatalog(`apply-time-${root}`);
    const events = eventsSince(from);
    const nineteenth = seeded[9]?.name as string;
    const created = events.find((event) => event.key === sentinelKey(root, nineteenth)) as ObjectEvent;
    // A removal that sorts after the create although the object is there (a race between two ingest paths).
    await ingest(catalog, config, [...events, { ...created, kind: 'removed', sequencer: `${created.sequencer}FF` }]);
    expect((await catalog.listBackups(cluster.id)).find((record) => record.name === nineteenth)?.status).toBe(
      'deleted',
    );
    const deps = depsOf(catalog, root);
    const planned = await planClusterRetention(deps, cluster, PLANNED_AT);
    const itsWal = [0x34, 0x35].map((segNo) => walKey(root, segNo));
    const plannedWal = await plannedWalKeys(catalog, cluster, planned.plan);
    for (const key of itsWal) expect(plannedWal).toContain(key);

    await sync(catalog, cluster, new Date(PLANNED_AT.getTime() + HOUR));
    expect((await catalog.listBackups(cluster.id)).find((record) => record.name === nineteenth)?.status).toBe(
      'complete',
    );
    const outcome = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(PLANNED_AT.getTime() + 7 * HOUR),
      explicit: false,
    });
    expect(outcome.status).toBe('applied');
    const after = await listBucket(services, root);
    for (const key of itsWal) expect(after.has(key)).toBe(true);
    expect(after.has(sentinelKey(root, nineteenth))).toBe(true);
  });
});

describe('retention never deletes a backup whose sentinel is present but cannot be read', () => {
  it('keeps bad metadata.json, a sentinel with FinishLSN before LSN and the early WAL-G sentinels, and their WAL', async () => {
    const root = 'unreadable';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    await seedWalgBucket(services, root);
    const old = new Date('2026-11-11T12:00:00Z');
    const lsn = (segNo: number) => segNo * SEGMENT + 40;
    const unreadable = [
      await putBackup(root, 0x12, old, {
        permanent: true,
        metadata: `{"hostname":1,"is_permanent":true,"start_lsn":${lsn(0x12)},"finish_lsn":${lsn(0x13)}}`,
      }),
      await putBackup(root, 0x16, old, { metadata: `{"start_lsn":${lsn(0x16)},"finish_lsn":${lsn(0x17)}}` }),
      await putBackup(root, 0x1a, old, {
        metadata: null,
        sentinel: `{"LSN":${lsn(0x1b)},"FinishLSN":${lsn(0x1a)},"PgVersion":150010}`,
      }),
      await putBackup(root, 0x1e, old, { metadata: null, sentinel: '{}' }),
      await putBackup(root, 0x22, old, { metadata: null, sentinel: `{"LSN":${lsn(0x22)},"Files":{}}` }),
    ];
    const catalog = await services.newCatalog(`apply-time-${root}`);
    await ingest(catalog, config, eventsSince(from));
    // Long after the catalog first saw them: incompleteGrace cannot be what keeps them.
    const plannedAt = new Date(Date.now() + 3 * 24 * HOUR);
    const deps = depsOf(catalog, root);
    const planned = await planClusterRetention(deps, cluster, plannedAt);
    const deletedNames = planned.plan.delete.backups.map((doomed) => doomed.name);
    for (const name of unreadable) {
      expect(deletedNames).not.toContain(name);
      // Early WAL-G sentinels are complete backups whose WAL range is unknown; the others cannot be read.
      expect(planned.plan.keep.find((kept) => kept.name === name)?.reasons.join(', ')).toMatch(
        /^(unreadable|wal-range-unknown): /,
      );
    }
    // The WAL range of each is unknown: kept from its name's segment on.
    for (const key of await plannedWalKeys(catalog, cluster, planned.plan)) expect(key < walKey(root, 0x12)).toBe(true);

    await sync(catalog, cluster, new Date(plannedAt.getTime() + HOUR));
    const outcome = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(plannedAt.getTime() + 7 * HOUR),
      explicit: false,
    });
    expect(outcome.status).toBe('applied');
    const after = await listBucket(services, root);
    for (const name of unreadable) {
      expect(after.has(sentinelKey(root, name))).toBe(true);
      expect(after.has(`${root}/basebackups_005/${name}/tar_partitions/part_001.tar.lz4`)).toBe(true);
    }
    for (let segNo = 0x12; segNo <= 0x23; segNo++) expect(after.has(walKey(root, segNo))).toBe(true);
  });
});

describe('a backup still uploading is not incomplete garbage', () => {
  const partKey = (root: string, name: string, part: number) =>
    `${root}/basebackups_005/${name}/tar_partitions/part_00${part}.tar.lz4`;

  it('counts incompleteGrace from the newest part the catalog saw arrive, not from the first', async () => {
    const root = 'uploading';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    await seedWalgBucket(services, root);
    const name = `base_${segName(0x2a)}`;
    const now = new Date();
    await put(root, `basebackups_005/${name}/tar_partitions/part_001.tar.lz4`, 'part 1');
    await put(root, `basebackups_005/${name}/tar_partitions/part_002.tar.lz4`, 'part 2');
    const catalog = await services.newCatalog(`apply-time-${root}`);
    // The first part arrived 30 h ago, the second an hour ago: an upload that has run longer than incompleteGrace.
    const retimed = eventsSince(from).map((event) =>
      event.key === partKey(root, name, 1)
        ? { ...event, eventTime: new Date(now.getTime() - 30 * HOUR) }
        : event.key === partKey(root, name, 2)
          ? { ...event, eventTime: new Date(now.getTime() - HOUR) }
          : event,
    );
    await ingest(catalog, config, retimed);
    const planned = await planClusterRetention(depsOf(catalog, root), cluster, now);
    expect(planned.plan.delete.backups.map((doomed) => doomed.name)).not.toContain(name);
    expect(planned.plan.keep.find((kept) => kept.name === name)?.reasons).toEqual(['incomplete-grace']);
    expect(planned.backupKeys.some((key) => key.includes(name))).toBe(false);
  });

  it('re-checks at apply time: a part written after the plan keeps the backup and its WAL', async () => {
    const root = 'uploading-apply';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    await seedWalgBucket(services, root);
    const name = `base_${segName(0x2a)}`;
    const now = new Date();
    await put(root, `basebackups_005/${name}/tar_partitions/part_001.tar.lz4`, 'part 1');
    const catalog = await services.newCatalog(`apply-time-${root}`);
    await ingest(
      catalog,
      config,
      eventsSince(from).map((event) =>
        event.key === partKey(root, name, 1) ? { ...event, eventTime: new Date(now.getTime() - 30 * HOUR) } : event,
      ),
    );
    const deps = depsOf(catalog, root);
    const planned = await planClusterRetention(deps, cluster, now);
    expect(planned.plan.delete.backups.map((doomed) => doomed.name)).toContain(name);
    // The upload goes on; the event of the new part is lost.
    await put(root, `basebackups_005/${name}/tar_partitions/part_002.tar.lz4`, 'part 2');
    await sync(catalog, cluster, new Date(now.getTime() + 1000));
    const outcome = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(now.getTime() + 2000),
      explicit: true,
    });
    expect(outcome.status).toBe('applied');
    const after = await listBucket(services, root);
    expect(after.has(partKey(root, name, 1))).toBe(true);
    expect(after.has(partKey(root, name, 2))).toBe(true);
    for (let segNo = 0x2a; segNo <= 0x2b; segNo++) expect(after.has(walKey(root, segNo))).toBe(true);
  });
});

describe('a cluster without a retention policy', () => {
  it('is catalogued and checked, and walcat deletes nothing of it', async () => {
    const root = 'watch-only';
    const cluster = allClusters.clusters.find((candidate) => candidate.id === root) as ClusterConfig;
    expect(cluster.retention).toBeUndefined();
    const from = services.s3.events().length;
    const seeded = await seedWalgBucket(services, root);
    const catalog = await services.newCatalog(`apply-time-${root}`);
    await ingest(catalog, allClusters, eventsSince(from));
    const before = await listBucket(services, root);
    const deps = depsOf(catalog, root);
    await sync(catalog, cluster, new Date(PLANNED_AT.getTime() + HOUR));

    const scheduled = await runScheduledRetention(deps, cluster, new Date(PLANNED_AT.getTime() + 2 * HOUR));
    expect(scheduled).toEqual({
      cluster: root,
      skipped: 'no retention policy: walcat deletes nothing of this cluster',
    });
    await expect(planClusterRetention(deps, cluster, PLANNED_AT)).rejects.toThrow(NoRetentionPolicyError);
    await expect(
      applyClusterRetention(deps, cluster, {
        planId: `${root}-20261121T030000Z-a701`,
        now: PLANNED_AT,
        explicit: true,
      }),
    ).rejects.toThrow(/no retention policy: walcat deletes nothing of this cluster/);
    expect(await deps.plans.listPlans(cluster.id)).toEqual([]);
    expect(await listBucket(services, root)).toEqual(before);

    // Continuity takes the chain base from the backups: the oldest non-permanent one, every segment after it checked.
    const continuity = await evaluateContinuity(catalog, cluster, {
      now: PLANNED_AT,
      persistCursor: false,
      forceFull: true,
    });
    expect(continuity.gaps.chainBase).toBe(seeded[1]?.name);
    expect(continuity.gaps.status).toBe('OK');
    expect(continuity.windows.backups.filter((backup) => backup.consistent)).toHaveLength(seeded.length);
  });
});

describe('retention checks its clock instead of trusting it', () => {
  it('refuses to plan or apply from a clock days off the S3 Date, and ignores a lastFullSyncAt from the future', async () => {
    const root = 'clock';
    const config = configFor(root);
    const cluster = clusterOf(root);
    const from = services.s3.events().length;
    await seedWalgBucket(services, root);
    const catalog = await services.newCatalog(`apply-time-${root}`);
    await ingest(catalog, config, eventsSince(from));
    const deps = { ...depsOf(catalog, root), serviceClock: services.objects };

    const fast = new Date(Date.now() + 3 * 24 * HOUR);
    const refused = planClusterRetention(deps, cluster, fast);
    await expect(refused).rejects.toThrow(ClockSkewError);
    await expect(refused).rejects.toThrow(
      new RegExp(`clock says ${fast.toISOString()}, the S3 Date header of bucket ${BUCKET} says 20\\d\\d-`),
    );
    expect(await deps.plans.listPlans(cluster.id)).toEqual([]);

    const now = new Date();
    const planned = await planClusterRetention(deps, cluster, now);
    // A sync from a machine 3 days fast stores a lastFullSyncAt in the future: it must not count as "synced since".
    await sync(catalog, cluster, fast);
    const stale = applyClusterRetention(deps, cluster, { planId: planned.plan.planId, now, explicit: true });
    await expect(stale).rejects.toThrow(StaleCatalogError);
    await expect(stale).rejects.toThrow(/in the future .*ignored/);
    await expect(
      applyClusterRetention(deps, cluster, { planId: planned.plan.planId, now: fast, explicit: true }),
    ).rejects.toThrow(ClockSkewError);
    const before = await listBucket(services, root);
    await sync(catalog, cluster, new Date());
    const applied = await applyClusterRetention(deps, cluster, {
      planId: planned.plan.planId,
      now: new Date(),
      explicit: true,
    });
    expect(applied.status).toBe('applied');
    expect((await listBucket(services, root)).size).toBeLessThan(before.size);
  });
});
