/** A small catalog and fakes shared by the restore use-case and CLI tests. */

import { InMemoryJobStore } from '../../../lib/adapters/local/in-memory-job-store.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import type { BackupRecord, WalObjectRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig, WalcatConfig } from '../../../lib/domain/cluster.ts';
import type { SlackMessage } from '../../../lib/domain/continuity/slack-message.ts';
import type { CommandStatus } from '../../../lib/domain/restore/restore-job.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import type { CatalogStore } from '../../../lib/ports/catalog-store.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../../lib/ports/command-transport.ts';
import type { InstanceDirectory } from '../../../lib/ports/instance-directory.ts';
import type { NotificationTarget, Notifier } from '../../../lib/ports/notifier.ts';
import type { ObjectThaw } from '../../../lib/ports/object-thaw.ts';
import type { RestoreDeps } from '../../../lib/use-cases/restore-dependencies.ts';

export const T0 = Date.parse('2026-11-20T09:00:00Z');
export const minutes = (n: number): Date => new Date(T0 + n * 60_000);
const SEGMENT = 16 * 1024 * 1024;

export function restoreConfig(): WalcatConfig {
  return parseWalcatConfig(
    [
      'catalogTable: walcat-test',
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://acme-pg-backups/orders-main',
      '    retention: { keepLast: 2, pitrWindow: 7d }',
      '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
      '    hosts:',
      '      target: { tagKey: walcat:cluster, tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/main',
      '      walgEnvDir: /etc/wal-g.d/env',
      '      service: systemd:postgresql@15-main',
      '    drill:',
      '      schedule: cron(0 3 ? * SUN *)',
      '      target: { tagKey: walcat:scratch, tagValue: orders-main }',
      '      pgData: /var/lib/postgresql/15/drill',
      '      checkSql: select count(*) > 0 from orders',
    ].join('\n'),
    'restore test config',
  );
}

export const cluster = (): ClusterConfig => restoreConfig().clusters[0] as ClusterConfig;

function backupRecord(startSeg: number, finishMinute: number): BackupRecord {
  const timeline = timelineId(1);
  const start = BigInt(startSeg) * BigInt(SEGMENT) + 0x28n;
  const name = `base_0000000100000000${startSeg.toString(16).toUpperCase().padStart(8, '0')}`;
  const backup: BaseBackup = {
    name,
    kind: 'full',
    timeline,
    startLsn: lsnFromInteger(start),
    finishLsn: lsnFromInteger(start + 0x1000n),
    startSegment: { timeline, segNo: segmentNumber(startSeg) },
    startTime: minutes(finishMinute - 1),
    finishTime: minutes(finishMinute),
    pgVersion: 150004,
    uncompressedSize: 40_000_000,
    permanent: false,
  };
  return {
    cluster: cluster().id,
    name,
    status: 'complete',
    backup,
    firstSeenAt: minutes(finishMinute),
    updatedAt: minutes(finishMinute),
  };
}

/** Backups A (segment 2, done 09:15) and B (segment 8, done 10:15); segments 2..20 uploaded every 10 minutes. */
export class FakeCatalog implements Partial<CatalogStore> {
  backups: BackupRecord[] = [backupRecord(2, 15), backupRecord(8, 75)];
  segments: WalObjectRecord[] = Array.from({ length: 19 }, (_, index) => {
    const segNo = index + 2;
    return {
      cluster: cluster().id,
      key: `wal_005/0000000100000000${segNo.toString(16).toUpperCase().padStart(8, '0')}.lz4`,
      kind: 'segment',
      timeline: timelineId(1),
      segNo: segmentNumber(segNo),
      size: 1000,
      uploadedAt: minutes(10 * segNo),
      deleted: false,
    };
  });

  async listBackups(): Promise<BackupRecord[]> {
    return this.backups;
  }
  async listHistoryFiles(): Promise<WalObjectRecord[]> {
    return [];
  }
  async listTimelines(): Promise<TimelineId[]> {
    return [timelineId(1)];
  }
  async *listWalObjects(): AsyncIterable<WalObjectRecord> {
    yield* this.segments;
  }

  asStore(): CatalogStore {
    return this as unknown as CatalogStore;
  }
}

/** Instances per `key=value` tag. */
export class FakeInstances implements InstanceDirectory {
  readonly tags = new Map<string, string[]>([
    ['walcat:scratch=orders-main', ['i-0scratch0000000001']],
    ['walcat:cluster=orders-main', ['i-0primary0000000001']],
  ]);

  async instancesWithTag(tagKey: string, tagValue: string): Promise<readonly string[]> {
    return this.tags.get(`${tagKey}=${tagValue}`) ?? [];
  }
}

/** A transport that records what was sent and answers invocations as the test scripts them. */
export class FakeTransport implements CommandTransport {
  readonly sent: SendCommandRequest[] = [];
  readonly invocations = new Map<string, CommandInvocation>();
  /** The test's clock, for invocation end times. */
  clock: () => Date = () => new Date(T0);

  async send(request: SendCommandRequest): Promise<{ commandId: string }> {
    this.sent.push(request);
    const commandId = `cmd-${this.sent.length}`;
    const instanceId = 'instanceIds' in request.targets ? (request.targets.instanceIds[0] ?? '') : '';
    this.invocations.set(commandId, {
      commandId,
      instanceId,
      status: 'InProgress',
      exitCode: -1,
      stdoutTail: '',
      stderrTail: '',
    });
    return { commandId };
  }

  async getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation | undefined> {
    const invocation = this.invocations.get(commandId);
    return invocation?.instanceId === instanceId ? invocation : undefined;
  }

  async listInvocations(commandId: string): Promise<readonly CommandInvocation[]> {
    const invocation = this.invocations.get(commandId);
    return invocation ? [invocation] : [];
  }

  /** Makes the last sent command end with `status` and a result line carrying `data`. */
  finish(status: CommandStatus, data: unknown = null, stderr = ''): string {
    const commandId = `cmd-${this.sent.length}`;
    const previous = this.invocations.get(commandId);
    const stdoutTail =
      status === 'Success' ? `WALCAT_RESULT ${JSON.stringify({ status: 'success', script: 'x', data })}\n` : '';
    this.invocations.set(commandId, {
      commandId,
      instanceId: previous?.instanceId ?? '',
      status,
      exitCode: status === 'Success' ? 0 : 12,
      stdoutTail,
      stderrTail: stderr,
      finishedAt: this.clock(),
    });
    return commandId;
  }
}

export class RecordingNotifier implements Notifier {
  readonly messages: { target: NotificationTarget; message: SlackMessage }[] = [];
  async send(target: NotificationTarget, message: SlackMessage): Promise<void> {
    this.messages.push({ target, message });
  }
}

export const VERIFY_DATA = {
  inRecovery: false,
  timeline: 2,
  lastReplayTimestamp: '2026-11-20T10:29:58+00:00',
  serverVersion: 150004,
  archiveMode: 'off',
  check: { passed: true, firstValueBase64: btoa('t') },
};

/** The newest backup (B, segment 8), whose tar partition the frozen catalog puts in DEEP_ARCHIVE. */
export const FROZEN_BACKUP = 'base_000000010000000000000008';
export const FROZEN_PART = 'tar_partitions/part_001.tar.lz4';

/**
 * The fixtures' catalog with backup B's tar partition (`partSize` bytes) in DEEP_ARCHIVE and WAL segments 8 and 9 in
 * GLACIER, segment 9 with a thawed copy until `thawedUntil` when given.
 */
export function frozenCatalog(options: { readonly partSize: number; readonly thawedUntil?: Date }): FakeCatalog {
  const catalog = new FakeCatalog();
  catalog.backups = catalog.backups.map(
    (record): BackupRecord =>
      record.name === FROZEN_BACKUP
        ? {
            ...record,
            payload: {
              [FROZEN_PART]: {
                kind: 'tar-partition',
                present: true,
                size: options.partSize,
                observedAt: minutes(75),
                storageClass: 'DEEP_ARCHIVE',
              },
            },
          }
        : record,
  );
  catalog.segments = catalog.segments.map((segment) =>
    segment.segNo === 8 || segment.segNo === 9
      ? {
          ...segment,
          storageClass: 'GLACIER',
          ...(segment.segNo === 9 && options.thawedUntil ? { thawedUntil: options.thawedUntil } : {}),
        }
      : segment,
  );
  return catalog;
}

/**
 * Restore dependencies over the fakes for restores and drills that thaw: an in-memory job store, and a clock that
 * starts at minute 200 and that each wait between thaw polls moves on by the time waited.
 */
export function thawingRestoreSetup(
  catalog: FakeCatalog,
  options: { readonly clusters: readonly ClusterConfig[]; readonly thaw?: ObjectThaw },
) {
  const transport = new FakeTransport();
  const jobs = new InMemoryJobStore();
  let now = minutes(200).getTime();
  const deps: RestoreDeps = {
    catalog: catalog.asStore(),
    jobs,
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: options.clusters,
    now: () => new Date(now),
    sleep: async (ms) => {
      now += ms;
    },
    ...(options.thaw ? { thaw: options.thaw } : {}),
  };
  return { deps, transport, jobs };
}
