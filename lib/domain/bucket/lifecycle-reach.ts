import { BASEBACKUPS_FOLDER, WAL_FOLDER } from '../layout/wal-g-layout.ts';
import type { LifecycleFilter } from './bucket-configuration.ts';

/**
 * How much of one folder of the cluster (`basebackups_005/` or `wal_005/`, shared by WAL-G and WAL-E) a lifecycle
 * filter reaches: nothing, all of it, or the keys in it that start with `keyPrefix`.
 */
export type FolderReach =
  | { readonly kind: 'none' }
  | { readonly kind: 'all' }
  | { readonly kind: 'part'; readonly keyPrefix: string };

export interface ClusterReach {
  readonly backups: FolderReach;
  readonly wal: FolderReach;
  /** Why the rule reaches nothing although its prefix would (a tag condition). */
  readonly tagged?: string;
}

function folderReach(rulePrefix: string, folder: string): FolderReach {
  if (folder.startsWith(rulePrefix)) return { kind: 'all' };
  if (rulePrefix.startsWith(folder)) return { kind: 'part', keyPrefix: rulePrefix.slice(folder.length) };
  return { kind: 'none' };
}

/**
 * What a lifecycle filter reaches of a cluster whose root is `root` (`''` or ending in `/`). A tag condition
 * reaches nothing: WAL-G and WAL-E upload without tags. Size conditions are ignored (a rule that reaches some of
 * a backup's objects breaks the backup all the same).
 *
 * @example clusterReach({ prefix: 'orders-main/wal_005/', tags: [] }, 'orders-main/') // { backups: none, wal: all }
 */
export function clusterReach(filter: LifecycleFilter, root: string): ClusterReach {
  if (filter.tags.length > 0) {
    return {
      backups: { kind: 'none' },
      wal: { kind: 'none' },
      tagged: filter.tags.map((tag) => `${tag.key}=${tag.value}`).join(', '),
    };
  }
  return {
    backups: folderReach(filter.prefix, `${root}${BASEBACKUPS_FOLDER}`),
    wal: folderReach(filter.prefix, `${root}${WAL_FOLDER}`),
  };
}

/** True when the reach takes at least one object of the backup: its sentinel or anything in `<name>/`. */
export function reachesBackup(reach: FolderReach, name: string): boolean {
  if (reach.kind !== 'part') return reach.kind === 'all';
  return name.startsWith(reach.keyPrefix) || reach.keyPrefix.startsWith(name);
}

/** True when the reach takes the WAL object(s) of a segment (`<24hex>` plus any extension). */
export function reachesSegment(reach: FolderReach, segmentFileName: string): boolean {
  if (reach.kind !== 'part') return reach.kind === 'all';
  return segmentFileName.startsWith(reach.keyPrefix) || reach.keyPrefix.startsWith(segmentFileName);
}
