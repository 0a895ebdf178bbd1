/**
 * The one job store: every job (a host command, a restore or a drill) in one table with one command index, the
 * per-cluster locks that keep host commands one at a time, and the restore lock that keeps restores one at a time.
 * Status-change events name only a command: {@link JobStore.findByCommandId} finds the job that sent it, whatever
 * its type, so one consumer handles every event. Writes are optimistic: `update` reads, applies a pure function and
 * writes back only if nobody wrote in between (retrying otherwise), and `save` writes a job only over the version it
 * was read at, so duplicate status events handled concurrently converge and never both send a restore's next step.
 */
import type { ClusterId } from '../domain/cluster.ts';
import { WalcatError } from '../domain/errors.ts';
import type { Job, JobState, JobType } from '../domain/jobs/job.ts';

/** A job with this id is already stored, or another writer changed the job since it was read (reload, apply again). */
export class JobConflictError extends WalcatError {
  override readonly name: string = 'JobConflictError';
}

/** Another restore of the cluster holds the restore lock; `holder` is its job id. */
export class RestoreLockedError extends WalcatError {
  override readonly name: string = 'RestoreLockedError';
  constructor(
    message: string,
    readonly holder: string,
  ) {
    super(message);
  }
}

/** The outcome of trying to take a lock. */
export type LockAttempt =
  | { readonly acquired: true }
  | {
      readonly acquired: false;
      /** The job id the lock names. */
      readonly holder: string;
      readonly expiresAt: Date;
      /** When the holder took it: a job stored by the holder was created at this instant. */
      readonly acquiredAt?: Date;
    };

export interface JobRef {
  readonly cluster: ClusterId;
  readonly id: string;
  readonly createdAt: Date;
}

export interface JobStore {
  /**
   * Stores a new job and indexes its command ids (a restore's also by its id); throws JobConflictError when the job
   * id exists.
   */
  create(job: Job): Promise<void>;
  get(ref: JobRef): Promise<Job | undefined>;
  /** A restore or drill by its id alone (`walcat restore status JOB` knows no creation time). */
  getById(cluster: ClusterId, id: string): Promise<Job | undefined>;
  /**
   * Replaces the stored job with `job` when the stored version is still `expectedVersion` (the job's own version is
   * the caller's: a restore's moves count up by one), and indexes the command ids of its steps; otherwise throws
   * JobConflictError.
   */
  save(job: Job, expectedVersion: number): Promise<void>;
  /**
   * The job that sent this command, whatever its type (a restore's for any attempt of any step): one lookup for
   * every status-change event.
   */
  findByCommandId(commandId: string): Promise<Job | undefined>;
  /**
   * Applies `change` to the stored host-command job and writes the result if it differs, retrying on concurrent
   * writes. Returns the job as stored afterwards (undefined when it does not exist or is a restore, which moves by
   * {@link JobStore.save}).
   */
  update(ref: JobRef, change: (job: Job) => Job): Promise<Job | undefined>;
  /** Jobs of a cluster of every type, newest first, optionally only of the given types or states; at most `limit`. */
  list(
    cluster: ClusterId,
    options?: {
      readonly states?: readonly JobState[];
      readonly types?: readonly JobType[];
      readonly limit?: number;
    },
  ): Promise<Job[]>;
  /**
   * The cluster's jobs not yet ended, of every type (host commands queued or running, restores running), newest
   * first: the watchdog's one read. Read without the job history: the cost follows the active jobs, not the
   * finished ones.
   */
  listActive(cluster: ClusterId): Promise<Job[]>;
  /**
   * Takes the named cluster lock for `holder` until `expiresAt`, unless another holder has it and it has not
   * expired. Taking a lock one already holds renews it.
   */
  acquireLock(cluster: ClusterId, name: string, holder: string, now: Date, expiresAt: Date): Promise<LockAttempt>;
  /** Releases the lock if `holder` still has it (a lock taken over after expiry is left alone). */
  releaseLock(cluster: ClusterId, name: string, holder: string): Promise<void>;
  /**
   * Takes the cluster's restore lock (`LOCK#restore`) for `jobId`: succeeds when it is free, already held by
   * `jobId`, or held by `staleHolder` (a job the caller found ended). Otherwise throws RestoreLockedError naming the
   * holder. It has no expiry: a restore may run for hours, and its end releases it.
   */
  acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void>;
  /** Releases the restore lock if `jobId` holds it; a lock held by another job is left alone. */
  releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void>;
  /** The job holding the cluster's restore lock, if any. */
  restoreLockHolder(cluster: ClusterId): Promise<string | undefined>;
}

/** What {@link JobLifetimeBackfill.backfillLifetimes} changed in one cluster. */
export interface JobBackfillCount {
  /** Jobs not yet ended that now carry the active-job index key. */
  readonly active: number;
  /** Ended jobs that now expire (a TTL from their end plus the job history). */
  readonly expiring: number;
  /** Lookup items (by job id, by command id) that now expire with their job. */
  readonly lookups: number;
}

/**
 * Brings jobs an older walcat stored up to the current shape: they carry neither the active-job index key nor a
 * TTL, so the watchdog does not see the active ones and the ended ones never expire. Idempotent: a job that has
 * either is left alone, so a second run changes nothing.
 */
export interface JobLifetimeBackfill {
  backfillLifetimes(cluster: ClusterId): Promise<JobBackfillCount>;
}
