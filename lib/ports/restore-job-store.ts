/**
 * Stored restore and drill jobs (catalog items `CLUSTER#<id>` / `JOB#<created>#<jobId>`). A job is found by its id
 * (`walcat restore status JOB`) and by the id of the command its current step waits for (status-change events name
 * only the command). Writes are optimistic: `save` with the version read refuses when another writer got there
 * first, so two handlers of duplicate events never both dispatch the next step.
 */
import type { ClusterId } from '../domain/cluster.ts';
import { WalcatError } from '../domain/errors.ts';
import type { RestoreJob, RestoreJobKind } from '../domain/restore/restore-job.ts';

/** Another writer changed the job since it was read; reload and apply again. */
export class RestoreJobConflictError extends WalcatError {
  override readonly name: string = 'RestoreJobConflictError';
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

export interface RestoreJobStore {
  /**
   * Takes the cluster's restore lock (`LOCK#restore`) for `jobId`: succeeds when it is free, already held by
   * `jobId`, or held by `staleHolder` (a job the caller found ended). Otherwise throws RestoreLockedError naming the
   * holder.
   */
  acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void>;
  /** Releases the lock if `jobId` holds it; a lock held by another job is left alone. */
  releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void>;
  /** The job holding the cluster's restore lock, if any. */
  restoreLockHolder(cluster: ClusterId): Promise<string | undefined>;
  /** Creates the job (version 0); throws RestoreJobConflictError when the id exists. */
  create(job: RestoreJob): Promise<void>;
  /**
   * Replaces the stored job with `job` (whose version is one more than `expectedVersion`) when the stored version is
   * still `expectedVersion`; otherwise throws RestoreJobConflictError. Also indexes the command ids of its steps.
   */
  save(job: RestoreJob, expectedVersion: number): Promise<void>;
  get(cluster: ClusterId, jobId: string): Promise<RestoreJob | undefined>;
  /** The job one of whose steps sent this command (current or earlier attempt). */
  findByCommandId(commandId: string): Promise<RestoreJob | undefined>;
  /** Jobs of the cluster, newest first, optionally of one kind; at most `limit`. */
  list(
    cluster: ClusterId,
    options?: { readonly kind?: RestoreJobKind; readonly limit?: number },
  ): Promise<RestoreJob[]>;
  /** Jobs still running, of every cluster given (the watchdog's worklist), read without the job history. */
  listRunning(clusters: readonly ClusterId[]): Promise<RestoreJob[]>;
}
