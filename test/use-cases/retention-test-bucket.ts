/**
 * A small WAL-G bucket for the retention tests: twelve daily backups (the first permanent), each with tars,
 * metadata.json, sentinel and `.backup` file, and every WAL segment from the first backup to the head; catalogued
 * from s3rver's own notifications.
 */
import { expect } from 'vitest';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { ClusterConfig, WalcatConfig } from '../../lib/domain/cluster.ts';
import type { RetentionPlan } from '../../lib/domain/retention/retention-plan.ts';
import { DEFAULT_WAL_SEGMENT_SIZE } from '../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { walKeysInRanges } from '../../lib/use-cases/plan-retention.ts';
import { BUCKET, type CatalogServices, readers } from './catalog-test-setup.ts';

const SEGMENT = 16 * 1024 * 1024;
/** The last WAL segment the seeded bucket holds. */
export const HEAD_SEGNO = 0x10 + 12 * 4;

/** One cluster `orders-main` at `s3://pg-backups/orders-main` with the given retention and alerts settings. */
export function retentionTestConfig(table: string, retention: string, alerts = '{}'): WalcatConfig {
  return parseWalcatConfig(
    [
      `catalogTable: ${table}`,
      'clusters:',
      '  - id: orders-main',
      `    storage: s3://${BUCKET}/orders-main`,
      '    layout: wal-g',
      `    retention: ${retention}`,
      `    alerts: ${alerts}`,
    ].join('\n'),
    'retention test config',
  );
}

export const segName = (segNo: number): string =>
  walFileName({ timeline: timelineId(1), segNo: segmentNumber(segNo) }, DEFAULT_WAL_SEGMENT_SIZE);

export interface SeededBackup {
  readonly name: string;
  readonly startSegNo: number;
  readonly finishSegNo: number;
}

/** Twelve daily backups (the first permanent) with tars, metadata and sentinel, and every WAL segment between. */
export async function seedWalgBucket(services: CatalogServices, root: string): Promise<SeededBackup[]> {
  const backups: SeededBackup[] = [];
  const put = (key: string, body: string) => services.objects.putObject(BUCKET, `${root}/${key}`, body);
  for (let day = 0; day < 12; day++) {
    const startSegNo = 0x10 + day * 4;
    const name = `base_${segName(startSegNo)}`;
    const finish = new Date(Date.UTC(2026, 10, 10 + day, 1, 5));
    const start = new Date(finish.getTime() - 5 * 60_000);
    const startLsn = startSegNo * SEGMENT + 40;
    const finishLsn = (startSegNo + 1) * SEGMENT + 4096;
    const permanent = day === 0;
    // At least the compressed size the metadata states (1024 bytes), as a complete backup holds.
    await put(`basebackups_005/${name}/tar_partitions/part_001.tar.lz4`, `data of ${name}`.padEnd(1024, '.'));
    await put(`basebackups_005/${name}/tar_partitions/pg_control.tar.lz4`, 'pg_control');
    // Written as text: the system identifier exceeds 2^53 and must reach the parser digit for digit.
    await put(
      `basebackups_005/${name}/metadata.json`,
      `{"start_time":"${start.toISOString()}","finish_time":"${finish.toISOString()}","date_fmt":"%Y-%m-%dT%H:%M:%S.%fZ","hostname":"pg-orders-1","data_dir":"/var/lib/postgresql/15/main","pg_version":150010,"start_lsn":${startLsn},"finish_lsn":${finishLsn},"is_permanent":${permanent},"system_identifier":7321456789012345678,"uncompressed_size":2048,"compressed_size":1024}`,
    );
    await put(
      `basebackups_005/${name}_backup_stop_sentinel.json`,
      `{"LSN":${startLsn},"PgVersion":150010,"FinishLSN":${finishLsn},"SystemIdentifier":7321456789012345678,"UncompressedSize":2048,"CompressedSize":1024,"Version":2,"StartTime":"${start.toISOString()}","FinishTime":"${finish.toISOString()}","Hostname":"pg-orders-1","DataDir":"/var/lib/postgresql/15/main","IsPermanent":${permanent}}`,
    );
    await put(`wal_005/${segName(startSegNo)}.00000028.backup.lz4`, 'backup history');
    backups.push({ name, startSegNo, finishSegNo: startSegNo + 1 });
  }
  for (let segNo = 0x10; segNo <= HEAD_SEGNO; segNo++) await put(`wal_005/${segName(segNo)}.lz4`, `wal ${segNo}`);
  return backups;
}

export async function listBucket(services: CatalogServices, root: string): Promise<Set<string>> {
  const keys = new Set<string>();
  for await (const object of services.objects.list(BUCKET, `${root}/`)) keys.add(object.key);
  return keys;
}

/** A fresh catalog table (plans share it, as in production) filled from the emulator's own notifications. */
export async function catalogueFromEvents(
  services: CatalogServices,
  config: WalcatConfig,
  table: string,
  seedEventsFrom: number,
) {
  const catalog = await services.newCatalog(table);
  const events = services.s3.events().slice(seedEventsFrom);
  const outcome = await ingestObjectEvents(
    { ...readers(services), catalog, clusters: config.clusters },
    events.flatMap((event) => parseIngestInvocation(event)),
  );
  expect(outcome.skipped).toEqual([]);
  expect(outcome.failedRecordIds).toEqual([]);
  return catalog;
}

/** The WAL keys a plan's ranges hold in the catalog (read before apply tombstones them), as apply deletes them. */
export async function plannedWalKeys(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  plan: RetentionPlan,
): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of walKeysInRanges(catalog, cluster.id, plan.delete.wal, cluster.walSegmentSize)) keys.push(key);
  return keys;
}
