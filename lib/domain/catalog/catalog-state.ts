/**
 * An in-memory catalog and the reducer that applies changes to it with the same merge rules as the DynamoDB store.
 * It states the convergence invariant the property tests check: any interleaving and duplication of the same
 * changes yields the same state.
 */
import {
  type BackupChange,
  type BackupInterpreter,
  mergeBackup,
  mergeWalObject,
  type WalObjectChange,
} from './catalog-change.ts';
import type { BackupRecord, WalObjectRecord } from './catalog-records.ts';

export type CatalogChange =
  | { readonly type: 'wal'; readonly change: WalObjectChange }
  | { readonly type: 'backup'; readonly change: BackupChange };

export interface CatalogState {
  /** By `<cluster> <key>`. */
  readonly wal: ReadonlyMap<string, WalObjectRecord>;
  /** By `<cluster> <backup name>`. */
  readonly backups: ReadonlyMap<string, BackupRecord>;
}

export const EMPTY_CATALOG_STATE: CatalogState = { wal: new Map(), backups: new Map() };

const walId = (record: WalObjectRecord): string => `${record.cluster} ${record.key}`;
const backupId = (change: BackupChange): string => `${change.cluster} ${change.name}`;

/**
 * Applies changes in the order given and returns the new state (the input is not modified).
 *
 * @example applyEventsToCatalogState(EMPTY_CATALOG_STATE, [{ type: 'wal', change: { origin: 'event', record } }], interpret)
 */
export function applyEventsToCatalogState(
  state: CatalogState,
  changes: readonly CatalogChange[],
  interpret: BackupInterpreter,
): CatalogState {
  const wal = new Map(state.wal);
  const backups = new Map(state.backups);
  for (const item of changes) {
    if (item.type === 'wal') {
      const id = walId(item.change.record);
      const merged = mergeWalObject(wal.get(id), item.change);
      if (merged) wal.set(id, merged);
    } else {
      const id = backupId(item.change);
      const merged = mergeBackup(backups.get(id), item.change, interpret);
      if (merged) backups.set(id, merged);
    }
  }
  return { wal, backups };
}
