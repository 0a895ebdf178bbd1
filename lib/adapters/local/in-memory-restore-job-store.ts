import type { ClusterId } from '../../domain/cluster.ts';
import {
  type RestoreJob,
  type RestoreJobKind,
  restoreJobFromJson,
  restoreJobToJson,
} from '../../domain/restore/restore-job.ts';
import { RestoreJobConflictError, type RestoreJobStore, RestoreLockedError } from '../../ports/restore-job-store.ts';

/**
 * Restore jobs in memory, for the local stack and tests. Jobs are kept as their stored JSON so a caller can never
 * change a stored job by mutating an object it got back, exactly as with DynamoDB.
 */
export class InMemoryRestoreJobStore implements RestoreJobStore {
  readonly #jobs = new Map<string, unknown>();
  readonly #byCommand = new Map<string, string>();
  readonly #locks = new Map<string, string>();

  async acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void> {
    const holder = this.#locks.get(cluster);
    if (holder !== undefined && holder !== jobId && holder !== staleHolder) {
      throw new RestoreLockedError(`cluster ${cluster}: restore ${holder} is running`, holder);
    }
    this.#locks.set(cluster, jobId);
  }

  async releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void> {
    if (this.#locks.get(cluster) === jobId) this.#locks.delete(cluster);
  }

  async restoreLockHolder(cluster: ClusterId): Promise<string | undefined> {
    return this.#locks.get(cluster);
  }

  async create(job: RestoreJob): Promise<void> {
    const key = this.#key(job.cluster, job.jobId);
    if (this.#jobs.has(key)) throw new RestoreJobConflictError(`restore job ${job.jobId} already exists`);
    this.#put(job);
  }

  async save(job: RestoreJob, expectedVersion: number): Promise<void> {
    // Compare and set with no await in between, as DynamoDB's conditional write does.
    const stored = this.#jobs.get(this.#key(job.cluster, job.jobId)) as { version?: number } | undefined;
    if (stored?.version !== expectedVersion) {
      throw new RestoreJobConflictError(
        `restore job ${job.jobId}: stored version ${stored?.version ?? 'none'} is not the expected ${expectedVersion}`,
      );
    }
    this.#put(job);
  }

  async get(cluster: ClusterId, jobId: string): Promise<RestoreJob | undefined> {
    const json = this.#jobs.get(this.#key(cluster, jobId));
    return json === undefined ? undefined : restoreJobFromJson(structuredClone(json));
  }

  async findByCommandId(commandId: string): Promise<RestoreJob | undefined> {
    const key = this.#byCommand.get(commandId);
    const json = key === undefined ? undefined : this.#jobs.get(key);
    return json === undefined ? undefined : restoreJobFromJson(structuredClone(json));
  }

  async list(cluster: ClusterId, options: { kind?: RestoreJobKind; limit?: number } = {}): Promise<RestoreJob[]> {
    const jobs = [...this.#jobs.values()]
      .map((json) => restoreJobFromJson(structuredClone(json)))
      .filter((job) => job.cluster === cluster && (options.kind === undefined || job.kind === options.kind))
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.jobId.localeCompare(a.jobId));
    return jobs.slice(0, options.limit ?? jobs.length);
  }

  async listRunning(clusters: readonly ClusterId[]): Promise<RestoreJob[]> {
    const all = await Promise.all(clusters.map((cluster) => this.list(cluster)));
    return all.flat().filter((job) => job.status === 'running');
  }

  #put(job: RestoreJob): void {
    const key = this.#key(job.cluster, job.jobId);
    this.#jobs.set(key, restoreJobToJson(job));
    for (const step of job.steps) {
      for (const commandId of [...step.previousCommandIds, ...(step.commandId ? [step.commandId] : [])]) {
        this.#byCommand.set(commandId, key);
      }
    }
  }

  #key(cluster: ClusterId, jobId: string): string {
    return `${cluster}/${jobId}`;
  }
}
