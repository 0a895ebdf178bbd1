/**
 * Stored retention plans: the plan itself (what and why) and the exact keys it deletes, split into batches whose
 * outcome apply records one by one, so an apply killed at any point resumes where it stopped.
 */
import type { ClusterId } from '../domain/cluster.ts';
import type { RetentionPlan } from '../domain/retention/retention-plan.ts';

/**
 * `pending`: waiting for the apply grace; `applying`: some batches done; `applied`: every batch done;
 * `superseded`: a newer plan of the cluster replaced it before it was applied.
 */
export type PlanStatus = 'pending' | 'applying' | 'applied' | 'superseded';

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
  readonly batchCount: number;
  readonly keyCount: number;
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

export interface NewPlan {
  readonly plan: StoredPlanBody;
  readonly bucket: string;
  /**
   * Keys in apply order, already split (lib/domain/retention/deletion-batches.ts); a stream is written as it comes,
   * so a plan of a million keys is never held whole.
   */
  readonly batches: Iterable<readonly string[]> | AsyncIterable<readonly string[]>;
}

export interface PlanStore {
  /** Stores the plan as `pending`. */
  savePlan(plan: NewPlan): Promise<PlanHeader>;
  getPlanHeader(cluster: ClusterId, planId: string): Promise<PlanHeader | undefined>;
  getPlanBody(cluster: ClusterId, planId: string): Promise<StoredPlanBody | undefined>;
  /** Headers of the cluster's plans, newest first. */
  listPlans(cluster: ClusterId): Promise<PlanHeader[]>;
  /** The plan's batches in apply order. */
  listBatches(cluster: ClusterId, planId: string): AsyncIterable<DeletionBatch>;
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
