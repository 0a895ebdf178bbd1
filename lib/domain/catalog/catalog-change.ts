/**
 * Changes to the catalog and the one rule that merges them into stored records. The DynamoDB adapter and the pure
 * reducer (catalog-state.ts) both merge through these functions, so they converge the same way.
 *
 * Ordering rule: every catalogued S3 key is a last-writer-wins register ordered by the S3 event sequencer of that
 * key (sequencer.ts). A change whose sequencer is not newer than the stored one is stale and changes nothing, so
 * replays, duplicates and reordering of the same events end in the same state. Changes from a full sync
 * (`reconcile`) carry no sequencer; they apply only when the stored record is still the one the sync compared
 * against (`basis`), so an event applied in between wins.
 */

import type { ClusterId } from '../cluster.ts';
import type { BackupSourceObject, WalObjectRecord } from './catalog-records.ts';

export type WalObjectChange =
  | { readonly origin: 'event'; readonly record: WalObjectRecord }
  | {
      readonly origin: 'reconcile';
      readonly record: WalObjectRecord;
      /** The stored record the sync compared the listing with; undefined when the catalog had none. */
      readonly basis: WalObjectRecord | undefined;
    };

export type BackupSource = 'sentinel' | 'metadata';

export type BackupChange =
  | {
      /** A sentinel or metadata.json was created, overwritten or removed (from an event). */
      readonly type: 'source-observed';
      readonly origin: 'event';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly source: BackupSource;
      readonly observation: BackupSourceObject;
    }
  | {
      /** A full sync saw the source in this state; applies only if the stored source still equals `basis`. */
      readonly type: 'source-observed';
      readonly origin: 'reconcile';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly source: BackupSource;
      readonly observation: BackupSourceObject;
      readonly basis: BackupSourceObject | undefined;
    }
  | {
      /** A payload object (tar partition, pg_control...) exists: the backup is at least `incomplete`. */
      readonly type: 'payload-seen';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly observedAt: Date;
    }
  | {
      /** Retention deleted the backup. */
      readonly type: 'expired';
      readonly cluster: ClusterId;
      readonly name: string;
      readonly expiredAt: Date;
    };
