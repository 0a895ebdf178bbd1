/**
 * The list-based answer to "gaps and restorable window", computed the way WAL-G's `wal-verify` and
 * `backup-list --detail` get their facts: list all of `wal_005/`, list
 * `basebackups_005/` with a `/` delimiter (sentinels are the objects, backup folders the common prefixes), GET each
 * sentinel and its metadata.json, GET the `.history` files, then walk the listed segments.
 *
 * The walk uses walcat's own gap and window code on the listed facts, so both sides answer the identical question
 * and the benchmark can check that the answers agree; what differs is only where the facts come from.
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { BackupInterpreter } from '../../lib/domain/catalog/catalog-change.ts';
import { deriveBackupRecord } from '../../lib/domain/catalog/catalog-change.ts';
import type { BackupRecord } from '../../lib/domain/catalog/catalog-records.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { KnownHistory } from '../../lib/domain/continuity/continuity-input.ts';
import { detectGaps, type GapReport } from '../../lib/domain/continuity/gap-detection.ts';
import { PresentSegmentsBuilder } from '../../lib/domain/continuity/present-segments.ts';
import { restorableWindows, type WindowReport } from '../../lib/domain/continuity/restorable-window.ts';
import { switchBreaks } from '../../lib/domain/continuity/timeline-path.ts';
import { classifyKey } from '../../lib/domain/layout/classify-key.ts';
import { BASEBACKUPS_FOLDER, SENTINEL_SUFFIX, WAL_FOLDER } from '../../lib/domain/layout/wal-g-layout.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import type { TimelineId } from '../../lib/domain/wal/timeline.ts';
import { parseTimelineHistory } from '../../lib/domain/wal/timeline-history.ts';
import type { SegmentNumber } from '../../lib/domain/wal/wal-segment.ts';

export interface ListBasedAnswer {
  readonly gaps: GapReport;
  readonly windows: WindowReport;
  readonly listRequests: number;
  readonly getRequests: number;
  readonly walObjectsListed: number;
}

interface Listed {
  readonly key: string;
  readonly lastModified: Date;
}

/** Sends S3 requests one after another, as a single WAL-G process walks continuation tokens. */
class CountingS3 {
  listRequests = 0;
  getRequests = 0;
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async list(prefix: string, delimiter?: string): Promise<Listed[]> {
    const found: Listed[] = [];
    let token: string | undefined;
    do {
      this.listRequests++;
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: prefix,
          MaxKeys: 1000,
          ...(delimiter === undefined ? {} : { Delimiter: delimiter }),
          ...(token === undefined ? {} : { ContinuationToken: token }),
        }),
      );
      for (const item of page.Contents ?? []) {
        if (item.Key !== undefined) found.push({ key: item.Key, lastModified: item.LastModified ?? new Date(0) });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return found;
  }

  async get(key: string): Promise<Uint8Array> {
    this.getRequests++;
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    return (await response.Body?.transformToByteArray()) ?? new Uint8Array();
  }
}

/**
 * @example const answer = await listBasedContinuity(s3.client, cluster, interpret, now); answer.listRequests // 12
 */
export async function listBasedContinuity(
  client: S3Client,
  cluster: ClusterConfig,
  interpret: BackupInterpreter,
  now: Date,
): Promise<ListBasedAnswer> {
  const s3 = new CountingS3(client, cluster.storage.bucket);
  const prefix = cluster.storage.prefix;
  const walListing = await s3.list(`${prefix}${WAL_FOLDER}`);
  const backupListing = await s3.list(`${prefix}${BASEBACKUPS_FOLDER}`, '/');

  const backups: BackupRecord[] = [];
  for (const sentinel of backupListing.filter((item) => item.key.endsWith(SENTINEL_SUFFIX))) {
    const name = sentinel.key.slice(`${prefix}${BASEBACKUPS_FOLDER}`.length, -SENTINEL_SUFFIX.length);
    const metadataKey = `${prefix}${BASEBACKUPS_FOLDER}${name}/metadata.json`;
    const [sentinelBytes, metadataBytes] = await Promise.all([s3.get(sentinel.key), s3.get(metadataKey)]);
    const decoder = new TextDecoder();
    backups.push(
      deriveBackupRecord(
        {
          cluster: cluster.id,
          name,
          firstSeenAt: sentinel.lastModified,
          updatedAt: sentinel.lastModified,
          sentinel: {
            key: sentinel.key,
            present: true,
            observedAt: sentinel.lastModified,
            text: decoder.decode(sentinelBytes),
          },
          metadata: {
            key: metadataKey,
            present: true,
            observedAt: sentinel.lastModified,
            text: decoder.decode(metadataBytes),
          },
        },
        interpret,
      ),
    );
  }

  const histories: KnownHistory[] = [];
  const segments: { timeline: TimelineId; segNo: SegmentNumber; uploadedAtMs: number }[] = [];
  for (const item of walListing) {
    const object = classifyKey(item.key.slice(prefix.length), cluster.layout, cluster.walSegmentSize);
    if (object.kind === 'wal-segment') {
      segments.push({
        timeline: object.segment.timeline,
        segNo: object.segment.segNo,
        uploadedAtMs: item.lastModified.getTime(),
      });
    } else if (object.kind === 'wal-history') {
      const text = historyTextOrUndefined(await s3.get(item.key), object.compression);
      if (text !== undefined) {
        histories.push({
          history: parseTimelineHistory(object.timeline, text, item.key),
          uploadedAt: item.lastModified,
        });
      }
    }
  }
  const builder = new PresentSegmentsBuilder({
    breakBefore: switchBreaks(
      histories.map((known) => known.history),
      cluster.walSegmentSize,
    ),
  });
  // Listing order is key order: timeline, then segment, as the builder wants.
  for (const segment of segments) {
    builder.add(segment.timeline, segment.segNo, segment.uploadedAtMs);
  }
  const input = {
    backups,
    histories,
    present: builder.build(),
    policy: cluster.retention,
    walSegmentSize: cluster.walSegmentSize,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    now,
  };
  return {
    gaps: detectGaps(input),
    windows: restorableWindows(input),
    listRequests: s3.listRequests,
    getRequests: s3.getRequests,
    walObjectsListed: walListing.length,
  };
}
