import type { ClusterId } from '../../domain/cluster.ts';
import {
  isTerminalJobState,
  type Job,
  type JobJson,
  type JobState,
  type JobType,
  jobToJson,
} from '../../domain/jobs/job.ts';
import { jobFromStoredJson } from '../../domain/restore/stored-restore-job.ts';
import {
  JobConflictError,
  type JobRef,
  type JobStore,
  type LockAttempt,
  RestoreLockedError,
} from '../../ports/job-store.ts';

/**
 * Every job in memory, for the local stack and tests, with the DynamoDB store's rules: ids are unique per cluster,
 * saves compare versions with no await in between (as a conditional write does), and jobs are kept as their stored
 * JSON, so a caller can never change a stored job by mutating an object it got back.
 */
export class InMemoryJobStore implements JobStore {
  readonly #jobs = new Map<string, JobJson>();
  readonly #byCommand = new Map<string, string>();
  readonly #locks = new Map<string, { holder: string; acquiredAt: Date; expiresAt: Date }>();
  readonly #restoreLocks = new Map<string, string>();

  async create(job: Job): Promise<void> {
    const key = this.#key(job.cluster, job.id);
    if (this.#jobs.has(key)) throw new JobConflictError(`job ${job.id} of cluster ${job.cluster} already exists`);
    this.#put(job);
  }

  async get(ref: JobRef): Promise<Job | undefined> {
    const job = this.#read(this.#key(ref.cluster, ref.id));
    return job?.restore === undefined && job?.createdAt.getTime() === ref.createdAt.getTime() ? job : undefined;
  }

  async getById(cluster: ClusterId, id: string): Promise<Job | undefined> {
    const job = this.#read(this.#key(cluster, id));
    return job?.restore === undefined ? undefined : job;
  }

  async save(job: Job, expectedVersion: number): Promise<void> {
    const stored = this.#jobs.get(this.#key(job.cluster, job.id));
    if (stored?.version !== expectedVersion) {
      throw new JobConflictError(
        `job ${job.id}: stored version ${stored?.version ?? 'none'} is not the expected ${expectedVersion}`,
      );
    }
    this.#put(job);
  }

  async findByCommandId(commandId: string): Promise<Job | undefined> {
    const key = this.#byCommand.get(commandId);
    return key === undefined ? undefined : this.#read(key);
  }

  async update(ref: JobRef, change: (job: Job) => Job): Promise<Job | undefined> {
    const current = await this.get(ref);
    if (current === undefined) return undefined;
    const changed = change(current);
    if (changed === current) return current;
    const next: Job = { ...changed, version: current.version + 1 };
    this.#put(next);
    return next;
  }

  async list(
    cluster: ClusterId,
    options: { states?: readonly JobState[]; types?: readonly JobType[]; limit?: number } = {},
  ): Promise<Job[]> {
    const jobs = [...this.#jobs.keys()]
      .map((key) => this.#read(key) as Job)
      .filter(
        (job) =>
          job.cluster === cluster &&
          (options.states === undefined || options.states.includes(job.state)) &&
          (options.types === undefined || options.types.includes(job.type)),
      )
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id));
    return jobs.slice(0, options.limit ?? jobs.length);
  }

  async listActive(cluster: ClusterId): Promise<Job[]> {
    return (await this.list(cluster)).filter((job) => !isTerminalJobState(job.state));
  }

  async acquireLock(
    cluster: ClusterId,
    name: string,
    holder: string,
    now: Date,
    expiresAt: Date,
  ): Promise<LockAttempt> {
    const key = `${cluster}/${name}`;
    const current = this.#locks.get(key);
    if (current !== undefined && current.holder !== holder && current.expiresAt.getTime() >= now.getTime()) {
      return { acquired: false, holder: current.holder, expiresAt: current.expiresAt, acquiredAt: current.acquiredAt };
    }
    this.#locks.set(key, { holder, acquiredAt: now, expiresAt });
    return { acquired: true };
  }

  async releaseLock(cluster: ClusterId, name: string, holder: string): Promise<void> {
    const key = `${cluster}/${name}`;
    if (this.#locks.get(key)?.holder === holder) this.#locks.delete(key);
  }

  async acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void> {
    const holder = this.#restoreLocks.get(cluster);
    if (holder !== undefined && holder !== jobId && holder !== staleHolder) {
      throw new RestoreLockedError(`cluster ${cluster}: restore ${holder} is running`, holder);
    }
    this.#restoreLocks.set(cluster, jobId);
  }

  async releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void> {
    if (this.#restoreLocks.get(cluster) === jobId) this.#restoreLocks.delete(cluster);
  }

  async restoreLockHolder(cluster: ClusterId): Promise<string | undefined> {
    return this.#restoreLocks.get(cluster);
  }

  #put(job: Job): void {
    const key = this.#key(job.cluster, job.id);
    this.#jobs.set(key, jobToJson(job));
    const commandIds = [
      job.commandId,
      ...job.steps.flatMap((step) => [...(step.previousCommandIds ?? []), step.commandId]),
    ];
    for (const commandId of commandIds) if (commandId !== undefined) this.#byCommand.set(commandId, key);
  }

  #read(key: string): Job | undefined {
    const json = this.#jobs.get(key);
    return json === undefined ? undefined : jobFromStoredJson(structuredClone(json));
  }

  #key(cluster: ClusterId, id: string): string {
    return `${cluster}/${id}`;
  }
}
