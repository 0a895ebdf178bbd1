/**
 * The watchdog's alerts for findings and why they resolve, through the real watchdog use case (and the real
 * retention plan and apply) on in-memory stores: each alert opens once with a message naming the object, the value
 * and the fix, stays quiet while it persists, and resolves once saying why.
 */
import { describe, expect, it } from 'vitest';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import type { BackupRecord, WalObjectRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../lib/domain/wal/wal-segment.ts';
import { applyClusterRetention } from '../../lib/use-cases/apply-retention.ts';
import { planClusterRetention } from '../../lib/use-cases/plan-retention.ts';
import { watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import { backupRecord, CLUSTER, DAY, HOUR, SIZE } from '../domain/retention/retention-fixtures.ts';
import { MemoryAlertStore, RecordingNotifier } from '../support/memory-alert-stores.ts';
import { MemoryBucket, MemoryPlanStore, MemoryRetentionCatalog } from '../support/memory-retention-stores.ts';

const D0 = Date.UTC(2026, 10, 1, 1, 0);
/** Six daily backups, four segments apart from segment 16 on; segment k uploaded (k - 16) * 6 h after D0. */
const BACKUPS = 6;
const HEAD = 16 + BACKUPS * 4 - 1;
const uploadedAt = (segNo: number) => new Date(D0 + (segNo - 16) * 6 * HOUR);
const NOW = new Date(uploadedAt(HEAD).getTime() + 2 * 60_000);
const OURS = 7321456789012345678n;

function clusterWith(extra: { walSegmentSize?: string } = {}): ClusterConfig {
  return parseWalcatConfig(
    [
      'catalogTable: findings',
      'clusters:',
      `  - id: ${CLUSTER}`,
      '    storage: s3://findings-bucket',
      ...(extra.walSegmentSize ? [`    walSegmentSize: ${extra.walSegmentSize}`] : []),
      '    retention: { keepLast: 2, pitrWindow: 1d, applyGrace: 1h }',
      '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
    ].join('\n'),
    'findings test config',
  ).clusters[0] as ClusterConfig;
}

const walName = (segNo: number, timeline = 1) =>
  walFileName({ timeline: timelineId(timeline), segNo: segmentNumber(segNo) }, SIZE);
const walKey = (segNo: number) => `wal_005/${walName(segNo)}.lz4`;
const sentinelKey = (name: string) => `basebackups_005/${name}_backup_stop_sentinel.json`;

function segment(segNo: number): WalObjectRecord {
  return {
    cluster: CLUSTER,
    key: walKey(segNo),
    kind: 'segment',
    timeline: timelineId(1),
    segNo: segmentNumber(segNo),
    size: 16,
    uploadedAt: uploadedAt(segNo),
    deleted: false,
  };
}

function ourBackup(index: number, systemIdentifier = OURS): BackupRecord {
  const record = backupRecord({ startSegNo: 16 + index * 4, finishedAt: new Date(D0 + index * DAY + HOUR) });
  return {
    ...record,
    backup: { ...(record.backup as NonNullable<BackupRecord['backup']>), systemIdentifier },
    sentinel: { key: sentinelKey(record.name), present: true, observedAt: record.firstSeenAt },
  };
}

/** A catalog, and a bucket holding the same keys, synced at `at`. */
function world(options: { missing?: readonly number[]; extraBackups?: readonly BackupRecord[] } = {}) {
  const backups = [...Array.from({ length: BACKUPS }, (_, index) => ourBackup(index)), ...(options.extraBackups ?? [])];
  const wal: WalObjectRecord[] = [];
  for (let segNo = 16; segNo <= HEAD; segNo++) if (!options.missing?.includes(segNo)) wal.push(segment(segNo));
  const catalog = new MemoryRetentionCatalog();
  catalog.syncTo(backups, wal, NOW);
  const bucket = new MemoryBucket();
  for (const record of backups) {
    bucket.put(sentinelKey(record.name), record.firstSeenAt);
    bucket.put(`basebackups_005/${record.name}/tar_partitions/part_001.tar.lz4`, record.firstSeenAt);
  }
  for (const object of wal) bucket.put(object.key, object.uploadedAt);
  const alerts = new MemoryAlertStore();
  const notifier = new RecordingNotifier();
  return { catalog, bucket, alerts, notifier, deps: { catalog, alerts, notifier } };
}

/** The messages of one alert kind, open and resolve, in order. */
const messagesOf = (notifier: RecordingNotifier, title: string) =>
  notifier.sent.map((entry) => entry.message.text).filter((text) => text.includes(title));

describe('watchdog alerts say why they resolved', () => {
  it('a WAL gap resolves once with "segment X arrived"', async () => {
    const { catalog, deps, notifier } = world({ missing: [HEAD - 2] });
    const cluster = clusterWith();
    await watchClusterWal(deps, cluster, { now: NOW });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 60_000) });
    expect(messagesOf(notifier, 'WAL gap')).toEqual([
      expect.stringContaining(`1 WAL segment lost on timeline 1: ${walName(HEAD - 2)}`),
    ]);
    await catalog.applyWalChanges([{ origin: 'reconcile', record: segment(HEAD - 2) } as never]);
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 2 * 60_000) });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 3 * 60_000) });
    const gap = messagesOf(notifier, 'WAL segment lost');
    expect(gap).toHaveLength(2);
    expect(gap[1]).toContain(`resolved: segment ${walName(HEAD - 2)} arrived`);
  });

  it('a gap an operator made resolves once retention deleted the WAL around it, naming the plan', async () => {
    const hole = 16 + 4 + 2; // between the second and the third backup
    const { catalog, bucket, deps, notifier } = world({ missing: [hole] });
    const cluster = clusterWith();
    await watchClusterWal(deps, cluster, { now: NOW });
    expect(messagesOf(notifier, 'WAL segment lost')).toEqual([expect.stringContaining(walName(hole))]);

    const plans = new MemoryPlanStore();
    const retention = { catalog, objects: bucket, plans, planIdSuffix: () => 'a1a1' };
    const planned = await planClusterRetention(retention, cluster, NOW);
    catalog.state = {
      ...catalog.state,
      lastFullSyncAt: new Date(NOW.getTime() + HOUR),
      version: catalog.state.version + 1,
    };
    const applyAt = new Date(NOW.getTime() + 2 * HOUR);
    await applyClusterRetention(retention, cluster, { planId: planned.plan.planId, now: applyAt, explicit: true });

    const after = await watchClusterWal(deps, cluster, { now: applyAt });
    expect(after.status).not.toBe('FAILURE');
    const gap = messagesOf(notifier, 'WAL segment lost');
    expect(gap).toHaveLength(2);
    const oldestKept = ourBackup(BACKUPS - 2).name;
    expect(gap[1]).toContain(
      `resolved: the gap lies before the oldest kept backup ${oldestKept} after retention deleted it (plan ${planned.plan.planId})`,
    );
    await watchClusterWal(deps, cluster, { now: new Date(applyAt.getTime() + 60_000) });
    expect(messagesOf(notifier, 'WAL segment lost')).toHaveLength(2);
  });

  it('a backup of another database system opens a FAILURE naming both identifiers, and resolves when removed', async () => {
    const foreign = ourBackup(BACKUPS - 1, 7399999999999999999n);
    const stranger = {
      ...foreign,
      name: 'base_0000000100000000000000FF',
      backup: { ...(foreign.backup as NonNullable<BackupRecord['backup']>), name: 'base_0000000100000000000000FF' },
    };
    const { catalog, deps, notifier } = world({ extraBackups: [stranger] });
    const cluster = clusterWith();
    await watchClusterWal(deps, cluster, { now: NOW });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 60_000) });
    const opened = notifier.sent.filter((entry) => entry.message.text.includes('Backup of another database'));
    expect(opened).toHaveLength(1);
    const text = JSON.stringify(opened[0]?.message);
    expect(text).toContain(stranger.name);
    expect(text).toContain('7399999999999999999');
    expect(text).toContain(OURS.toString());
    expect(text).toContain('WALG_S3_PREFIX');
    expect(opened[0]?.message.text).toContain(':red_circle:');

    catalog.backups = catalog.backups.map((record) =>
      record.name === stranger.name ? { ...record, status: 'deleted' } : record,
    );
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 2 * 60_000) });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 3 * 60_000) });
    const all = messagesOf(notifier, 'another database system');
    expect(all).toHaveLength(2);
    expect(all[1]).toContain(`resolved: backup ${stranger.name} was removed from the bucket`);
  });

  it('an unreadable backup opens a WARNING with its problem and fix, and resolves when it reads well', async () => {
    const broken: BackupRecord = {
      ...ourBackup(BACKUPS - 1),
      status: 'unreadable',
      problem: 'missing-data: no pg_control.tar among the tar partitions',
    };
    const { catalog, deps, notifier } = world();
    catalog.backups = catalog.backups.map((record) => (record.name === broken.name ? broken : record));
    const cluster = clusterWith();
    await watchClusterWal(deps, cluster, { now: NOW });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 60_000) });
    const opened = notifier.sent.filter((entry) => entry.message.text.includes('Unreadable backup'));
    expect(opened).toHaveLength(1);
    expect(opened[0]?.message.text).toContain(`Backup ${broken.name} cannot be used as a restore base: missing-data`);
    expect(JSON.stringify(opened[0]?.message.blocks)).toContain('walcat backup');

    catalog.backups = catalog.backups.map((record) => (record.name === broken.name ? ourBackup(BACKUPS - 1) : record));
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 2 * 60_000) });
    const all = messagesOf(notifier, 'cannot be used as a restore base');
    expect(all).toHaveLength(2);
    expect(all[1]).toContain(`resolved: backup ${broken.name} is readable and complete now`);
  });

  it('an unreadable history opens once naming the file and problem, and resolves when it reads well', async () => {
    const { catalog, deps, notifier } = world();
    const history = (content: string): WalObjectRecord => ({
      cluster: CLUSTER,
      key: 'wal_005/00000002.history.br',
      kind: 'history',
      timeline: timelineId(2),
      size: content.length,
      uploadedAt: NOW,
      deleted: false,
      content,
    });
    catalog.wal.push(history('2\t0/3000000\tnot my parent\n'));
    const cluster = clusterWith();
    await watchClusterWal(deps, cluster, { now: NOW });
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 60_000) });
    const opened = messagesOf(notifier, 'History file wal_005/00000002.history.br');
    expect(opened).toHaveLength(1);
    expect(opened[0]).toContain('of timeline 2 cannot be used');

    catalog.wal = catalog.wal.map((record) =>
      record.kind === 'history' ? history('1\t0/30000000\tno recovery target specified\n') : record,
    );
    await watchClusterWal(deps, cluster, { now: new Date(NOW.getTime() + 2 * 60_000) });
    const all = messagesOf(notifier, 'History file wal_005/00000002.history.br');
    expect(all).toHaveLength(2);
    expect(all[1]).toContain('resolved: timeline history 00000002.history reads well again');
  });

  it('a walSegmentSize the backups contradict opens once with the size that fits, and open gap alerts stay open', async () => {
    const { deps, notifier } = world({ missing: [HEAD - 2] });
    await watchClusterWal(deps, clusterWith(), { now: NOW });
    expect(messagesOf(notifier, 'WAL segment lost')).toHaveLength(1);

    await watchClusterWal(deps, clusterWith({ walSegmentSize: '1MiB' }), { now: new Date(NOW.getTime() + 60_000) });
    await watchClusterWal(deps, clusterWith({ walSegmentSize: '1MiB' }), { now: new Date(NOW.getTime() + 2 * 60_000) });
    const opened = messagesOf(notifier, 'walSegmentSize 1MiB contradicts');
    expect(opened).toHaveLength(1);
    expect(JSON.stringify(notifier.sent.at(-1)?.message ?? {})).not.toContain('resolved');
    expect(
      JSON.stringify(notifier.sent.find((entry) => entry.message.text.includes('contradicts'))?.message),
    ).toContain('walSegmentSize to 16MiB');
    // No gaps are computed meanwhile: the gap alert neither resolved nor reopened.
    expect(messagesOf(notifier, 'WAL segment lost')).toHaveLength(1);

    await watchClusterWal(deps, clusterWith(), { now: new Date(NOW.getTime() + 3 * 60_000) });
    const all = messagesOf(notifier, 'walSegmentSize 1MiB contradicts');
    expect(all).toHaveLength(2);
    expect(all[1]).toContain('resolved: walSegmentSize agrees with the backups again');
    expect(messagesOf(notifier, 'WAL segment lost')).toHaveLength(1);
  });
});
