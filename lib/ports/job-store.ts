/**
 * The one job store: host-command jobs (backup-push, archiver probe) with the per-cluster locks that keep them one
 * at a time, and (through {@link JobStore.restores}) restore and drill jobs, all in one table with one command
 * index. Status-change events name only a command: {@link JobStore.findAnyByCommandId} finds the job of either
 * kind that sent it, so one consumer handles every event. Writes are optimistic: `update` reads, applies a pure
 * function and writes back only if nobody wrote in between (retrying otherwise), so duplicate status events handled
 * concurrently converge.
 */
import type { ClusterId } from '../domain/cluster.ts';
import { WalcatError } from '../domain/errors.ts';
import type { Job, JobState } from '../domain/jobs/job.ts';
import type { RestoreJob } from '../domain/restore/restore-job.ts';
import type { RestoreJobStore } from './restore-job-store.ts';

/** A stored job of either kind: a host command (one step) or a restore or drill (its ordered steps). */
export type AnyJob =
  | { readonly family: 'host'; readonly job: Job }
  | { readonly family: 'restore'; readonly job: RestoreJob };

/** A job with this id is already stored. */
export class JobConflictError extends WalcatError {
  override readonly name: string = 'JobConflictError';
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
  /** Stores a new job and indexes its command id; throws when the job id exists. */
  create(job: Job): Promise<void>;
  get(ref: JobRef): Promise<Job | undefined>;
  /** The host-command job that sent this command (a restore's command gives undefined). */
  findByCommandId(commandId: string): Promise<Job | undefined>;
  /** The job of either kind one of whose commands this is (one lookup for every status-change event). */
  findAnyByCommandId(commandId: string): Promise<AnyJob | undefined>;
  /** Jobs of both kinds of a cluster, newest first; at most `limit`. */
  listAny(cluster: ClusterId, options?: { readonly limit?: number }): Promise<AnyJob[]>;
  /** The same store's restore and drill jobs. */
  readonly restores: RestoreJobStore;
  /**
   * Applies `change` to the stored job and writes the result if it differs, retrying on concurrent writes. Returns
   * the job as stored afterwards (undefined when it does not exist).
   */
  update(ref: JobRef, change: (job: Job) => Job): Promise<Job | undefined>;
  /** Jobs of a cluster, newest first, optionally only in the given states; at most `limit`. */
  list(
    cluster: ClusterId,
    options?: { readonly states?: readonly JobState[]; readonly limit?: number },
  ): Promise<Job[]>;
  /**
   * The cluster's host-command jobs not yet ended (queued or running), newest first. Read without the job history:
   * the cost follows the active jobs, not the finished ones.
   */
  listActive(cluster: ClusterId): Promise<Job[]>;
  /**
   * Takes the named cluster lock for `holder` until `expiresAt`, unless another holder has it and it has not
   * expired. Taking a lock one already holds renews it.
   */
  acquireLock(cluster: ClusterId, name: string, holder: string, now: Date, expiresAt: Date): Promise<LockAttempt>;
  /** Releases the lock if `holder` still has it (a lock taken over after expiry is left alone). */
  releaseLock(cluster: ClusterId, name: string, holder: string): Promise<void>;
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
