/**
 * Which objects a restore reads that S3 cannot serve directly (GLACIER, DEEP_ARCHIVE, the archive tiers of
 * INTELLIGENT_TIERING) and how long the documented retrieval tiers take to thaw them. A restore that needs them is
 * refused unless it thaws them first (`restore start --thaw`), since `backup-fetch` and `wal-fetch` fail on a
 * frozen object with `InvalidObjectState`.
 */

import { isFrozen, type RetrievalTier, retrievalTiers } from '../bucket/storage-class.ts';
import type { BackupRecord } from '../catalog/catalog-records.ts';
import { UnsafePlanError } from '../errors.ts';
import { BASEBACKUPS_FOLDER } from '../layout/wal-g-layout.ts';
import type { ArchivedSegment } from './restore-plan.ts';

/** One frozen object a restore reads. */
export interface FrozenObject {
  readonly key: string;
  readonly storageClass: string;
  readonly size: number;
}

export interface RestoreThaw {
  readonly objects: readonly FrozenObject[];
  readonly bytes: number;
  /** The frozen classes, sorted. */
  readonly storageClasses: readonly string[];
  /** The documented retrieval tiers of the slowest class among them (a restore waits for its last object). */
  readonly retrieval: readonly RetrievalTier[];
}

export interface RestoreThawInput {
  /** The base backup's catalog record: its sentinel, metadata.json and payload objects. */
  readonly backup: BackupRecord;
  /** The cluster's storage prefix (`orders-main/`), to name the payload keys. */
  readonly prefix: string;
  /** The WAL segments recovery reads (`RestoreWal.segments`). */
  readonly segments: readonly ArchivedSegment[];
  readonly now: Date;
}

/**
 * The frozen objects among those a restore reads, or undefined when every one can be read directly (a thawed copy
 * that is still readable at `now` counts as readable).
 *
 * @example restoreThaw({ backup, prefix: 'orders-main/', segments: [], now })?.storageClasses // ['DEEP_ARCHIVE']
 */
export function restoreThaw(input: RestoreThawInput): RestoreThaw | undefined {
  const { backup, now } = input;
  const objects: FrozenObject[] = [];
  const add = (key: string | undefined, object: { storageClass?: string; thawedUntil?: Date }, size: number) => {
    if (key !== undefined && object.storageClass !== undefined && isFrozen(object, now)) {
      objects.push({ key, storageClass: object.storageClass, size });
    }
  };
  for (const source of [backup.sentinel, backup.metadata]) {
    if (source?.present) add(source.key, source, 0);
  }
  const folder = `${input.prefix}${BASEBACKUPS_FOLDER}${backup.name}/`;
  for (const [part, object] of Object.entries(backup.payload ?? {})) {
    if (object.present) add(`${folder}${part}`, object, object.size);
  }
  for (const segment of input.segments) add(segment.key, segment, segment.size);
  if (objects.length === 0) return undefined;
  const storageClasses = [...new Set(objects.map((object) => object.storageClass))].sort();
  const slowest = storageClasses
    .map((storageClass) => retrievalTiers(storageClass))
    .sort((a, b) => Math.max(...b.map((t) => t.hours)) - Math.max(...a.map((t) => t.hours)))[0];
  return {
    objects,
    bytes: objects.reduce((sum, object) => sum + object.size, 0),
    storageClasses,
    retrieval: slowest ?? [],
  };
}

/**
 * The one line a person reads about a thaw: how many objects, which classes, how long.
 *
 * @example describeThaw(thaw) // '3 objects (48.0 MiB) in DEEP_ARCHIVE need a thaw first: Standard within 12 hours, Bulk within 48 hours'
 */
export function describeThaw(thaw: RestoreThaw): string {
  const mib = (thaw.bytes / (1024 * 1024)).toFixed(1);
  const tiers = thaw.retrieval.map((tier) => `${tier.tier} ${tier.words}`).join(', ');
  const count = `${thaw.objects.length} object${thaw.objects.length === 1 ? '' : 's'}`;
  return `${count} (${mib} MiB) in ${thaw.storageClasses.join(', ')} need a thaw first: ${tiers}`;
}

/** A restore that reads frozen objects, started without asking for the thaw. */
export class ThawRequiredError extends UnsafePlanError {
  override readonly name: string = 'ThawRequiredError';
  constructor(
    readonly cluster: string,
    readonly thaw: RestoreThaw,
  ) {
    super(
      `cluster ${cluster}: ${describeThaw(thaw)}; run walcat restore start again with --thaw (it issues RestoreObject for them and waits until they are readable; --thaw-tier Expedited|Standard|Bulk picks the retrieval tier)`,
    );
  }
}
