/**
 * Stored retention plans: the plan itself (what and why), the backup objects it deletes as key batches, and its WAL
 * deletions as ranges (in the body) that apply expands into batches from the catalog. Apply records the outcome of
 * every batch, so an apply killed at any point resumes where it stopped.
 */
import type { ClusterId } from '../domain/cluster.ts';
import type { RetentionPlan } from '../domain/retention/retention-plan.ts';

/**
 * `pending`: waiting for the apply grace; `applying`: some batches done; `applied`: every batch done;
 * `superseded`: a newer plan of the cluster replaced it before it was applied.
 */
export type PlanStatus = 'pending' | 'applying' | 'applied' | 'superseded';

/**
 * How a plan's WAL deletions are stored. `ranges`: the key batches hold the backup objects only and the WAL is the
 * body's `delete.wal` ranges, expanded at apply time. `keys`: every key, WAL included, in the key batches (plans
 * stored before ranges existed; they still apply).
 */
export type StoredPlanFormat = 'keys' | 'ranges';

/** A plan without its (possibly million-entry) WAL key list; the keys live in the batches. */
export type StoredPlanBody = Omit<RetentionPlan, 'delete'> & {
  readonly delete: Omit<RetentionPlan['delete'], 'walKeys'>;
};

export interface PlanHeader {
  readonly planId: string;
  readonly cluster: ClusterId;
  readonly createdAt: Date;
  readonly status: PlanStatus;
  /** The bucket the keys are in. */
  readonly bucket: string;
  readonly format: StoredPlanFormat;
  /** Stored key batches (backup objects; with format `keys`, the WAL keys too). */
  readonly batchCount: number;
  /** Backup objects plus the WAL objects the plan counted in its ranges (format `keys`: the stored keys). */
  readonly keyCount: number;
  /** Format `ranges`: catalogued WAL objects apply expands into one batch (at most 1,000, one DeleteObjects). */
  readonly walBatchKeys?: number;
  readonly bytesFreed: number;
  readonly backupsDeleted: number;
  readonly walObjectsDeleted: number;
  readonly appliedAt?: Date;
  /** Keys apply could not delete (Object Lock and other per-key refusals), once applied. */
  readonly failedCount?: number;
}

/** Why S3 refused to delete one key. */
export interface KeyFailure {
  readonly key: string;
  readonly code: string;
  readonly message: string;
}

/** One DeleteObjects request's worth of keys, in apply order, and its recorded outcome. */
export interface DeletionBatch {
  readonly index: number;
  readonly keys: readonly string[];
  readonly done: boolean;
  /** Keys not deleted, with the reason (empty until done). */
  readonly failed: readonly KeyFailure[];
}

/** A catalogued WAL object's place in its timeline's catalog order: segment number, then key. */
export interface WalPosition {
  readonly segNo: number;
  readonly key: string;
}

/**
 * One batch of WAL that apply expanded from a range of a `ranges` plan and deleted, as recorded once deleted: the
 * batches of a plan are numbered 0, 1, 2... across its ranges, and the last one recorded is where a resumed apply
 * continues (after `last`, or at the next range when `rangeDone`).
 */
export interface WalBatchRecord {
  readonly index: number;
  /** Index of the range in the body's `delete.wal`. */
  readonly range: number;
  /** The last catalog record the batch covered (absent for a range found empty). */
  readonly last?: WalPosition;
  /** True when the batch reached the end of its range. */
  readonly rangeDone: boolean;
  /** The last segment the plan's apply deleted so far on the batch's timeline: tombstone ranges bridge from it. */
  readonly lastDoomed?: { readonly timeline: number; readonly segNo: number };
  /** Keys not deleted, with the reason. */
  readonly failed: readonly KeyFailure[];
}

export interface NewPlan {
  /** Its `delete.wal` ranges are what apply expands (format `ranges`). */
  readonly plan: StoredPlanBody;
  readonly bucket: string;
  /**
   * The backup objects in apply order, already split (lib/domain/retention/deletion-batches.ts); a stream is
   * written as it comes.
   */
  readonly batches: Iterable<readonly string[]> | AsyncIterable<readonly string[]>;
  /** WAL objects per batch when apply expands the ranges (default 1,000). */
  readonly walBatchKeys?: number;
}

export interface PlanStore {
  /** Stores the plan as `pending`. */
  savePlan(plan: NewPlan): Promise<PlanHeader>;
  getPlanHeader(cluster: ClusterId, planId: string): Promise<PlanHeader | undefined>;
  getPlanBody(cluster: ClusterId, planId: string): Promise<StoredPlanBody | undefined>;
  /** Headers of the cluster's plans, newest first. */
  listPlans(cluster: ClusterId): Promise<PlanHeader[]>;
  /** The plan's key batches in apply order. */
  listBatches(cluster: ClusterId, planId: string): AsyncIterable<DeletionBatch>;
  /** The WAL batches apply recorded for a `ranges` plan, in order. */
  listWalBatches(cluster: ClusterId, planId: string): AsyncIterable<WalBatchRecord>;
  /**
   * Records WAL batch `record.index` as done, only if no run recorded it first (a conditional write): false for the
   * others, so two concurrent applies of one plan never both report a batch.
   */
  recordWalBatch(cluster: ClusterId, planId: string, record: WalBatchRecord): Promise<boolean>;
  /**
   * Records the outcome of one batch (idempotent: recording the same batch twice keeps the latest outcome). With
   * `firstOnly`, a conditional write that only the first run to finish the batch wins (false for the others), so
   * two concurrent applies of one plan never both report a batch.
   */
  completeBatch(
    cluster: ClusterId,
    planId: string,
    index: number,
    failed: readonly KeyFailure[],
    firstOnly?: boolean,
  ): Promise<boolean>;
  /**
   * Sets the status; with `onlyFrom`, only when the current status is one of them (a conditional write), so a plan
   * superseded during its apply stays superseded. False when the condition did not hold.
   */
  setStatus(
    cluster: ClusterId,
    planId: string,
    status: PlanStatus,
    extra?: { readonly appliedAt?: Date; readonly failedCount?: number },
    onlyFrom?: readonly PlanStatus[],
  ): Promise<boolean>;
}
