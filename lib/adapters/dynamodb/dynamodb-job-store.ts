/**
 * Every job in the catalog table, host commands and restores alike, on the single-table module:
 *
 * | item          | pk                    | sk                          | holds                                        |
 * |---------------|-----------------------|-----------------------------|----------------------------------------------|
 * | job           | `CLUSTER#<id>`        | `JOB#<created ISO>#<jobId>` | the job as JSON (`body`), jobFamily, jobType, state, version; `activeOf` while active, `ttl` once ended |
 * | command index | `COMMAND#<commandId>` | `JOB`                       | the job's pk, sk and family, ttl             |
 * | job id index  | `CLUSTER#<id>`        | `JOBID#<jobId>`             | the job's sort key (restores: found by id), ttl |
 * | lock          | `CLUSTER#<id>`        | `LOCK#<name>`               | holder, expiresAt (epoch ms), ttl (epoch s)  |
 * | restore lock  | `CLUSTER#<id>`        | `LOCK#restore`              | the job id of the one running restore        |
 *
 * `jobFamily` is `host-command` (a backup-push or probe: one command) or `restore` (a restore or drill: its ordered
 * steps, one command each). A status-change event names only a command, so one Query on its `COMMAND#` partition
 * finds the job of either family: the `JOB` index item, or one of the two written before jobs shared a store
 * (`HOST_JOB` for host commands, `COMMAND` for restores), which are read as they are and need no migration.
 * Every body is the job's JSON; a restore written by the earlier restore store keeps that store's body shape until
 * its next save, and is read as a job all the same (stored-restore-job.ts).
 * A job not yet ended carries `activeOf`, the key of the sparse `active` index: the watchdog reads a cluster's
 * active jobs from it (one Query and one BatchGetItem however long the history). The write that ends a job drops
 * `activeOf` and sets `ttl` (the end plus the job history retention), so DynamoDB removes finished jobs in time;
 * the lookup items expire with them (see job-history.ts).
 * Locks expire by condition (`expiresAt < :now`), which dynalite supports; `ttl` lets real DynamoDB delete stale
 * locks as well.
 */
import type { ClusterId } from '../../domain/cluster.ts';
import { TransientError } from '../../domain/errors.ts';
import { isTerminalJobState, type Job, type JobState, type JobType, jobToJson } from '../../domain/jobs/job.ts';
import { DEFAULT_JOB_HISTORY_MS, jobExpiresAt, lookupExpiresAt } from '../../domain/jobs/job-history.ts';
import { jobFromStoredJson } from '../../domain/restore/stored-restore-job.ts';
import {
  type JobBackfillCount,
  JobConflictError,
  type JobLifetimeBackfill,
  type JobRef,
  type JobStore,
  type LockAttempt,
  RestoreLockedError,
} from '../../ports/job-store.ts';
import { ACTIVE_INDEX, ACTIVE_OF, clusterPk, JOB_SK_PREFIX, jobSk, lockSk } from './catalog-keys.ts';
import { type Item, isMissingIndex, SingleTable, type SingleTableOptions } from './single-table.ts';

export const HOST_JOB_FAMILY = 'host-command';
export const RESTORE_JOB_FAMILY = 'restore';
const commandPk = (commandId: string): string => `COMMAND#${commandId}`;
/** The command index item's sort key; `HOST_JOB` and `COMMAND` are the older ones, still read. */
const COMMAND_INDEX_SK = 'JOB';
const jobIdSk = (jobId: string): string => `JOBID#${jobId}`;
const MAX_UPDATE_ATTEMPTS = 8;

const ACTIVE = { name: ACTIVE_INDEX, hashKey: ACTIVE_OF, rangeKey: 'sk' } as const;

export interface DynamoDbJobStoreOptions extends SingleTableOptions {
  /** How long a finished job is kept before DynamoDB's TTL removes it, in ms (config `jobHistory`, default 90d). */
  readonly jobHistoryMs?: number;
}

export class DynamoDbJobStore implements JobStore, JobLifetimeBackfill {
  readonly #table: SingleTable;
  readonly historyMs: number;

  constructor(options: DynamoDbJobStoreOptions) {
    this.#table = new SingleTable(options);
    this.historyMs = options.jobHistoryMs ?? DEFAULT_JOB_HISTORY_MS;
  }

  /**
   * A host command is indexed by its command, then written if absent. A restore is found by its id as well: the id
   * item is written first (if absent, which refuses a second job of the id), then its steps' commands, then the job.
   */
  async create(job: Job): Promise<void> {
    const pk = clusterPk(job.cluster);
    const sk = jobSk(job.createdAt, job.id);
    if (job.restore !== undefined) {
      const ttl = lookupExpiresAt(job.createdAt, this.historyMs);
      if (!(await this.#table.putIfAbsent({ pk, sk: jobIdSk(job.id), jobSk: sk, ttl }))) {
        throw new JobConflictError(`restore job ${job.id} already exists in cluster ${job.cluster}`);
      }
      await this.#indexStepCommands(job, pk, sk);
      await this.#table.put(jobItem(job, pk, sk, this.historyMs));
      return;
    }
    if (job.commandId !== undefined) await this.indexCommand(job.commandId, pk, sk, job);
    if (!(await this.#table.putIfAbsent(jobItem(job, pk, sk, this.historyMs)))) {
      throw new JobConflictError(`job ${job.id} of cluster ${job.cluster} already exists`);
    }
  }

  async get(ref: JobRef): Promise<Job | undefined> {
    return this.#readHost(clusterPk(ref.cluster), jobSk(ref.createdAt, ref.id));
  }

  async getById(cluster: ClusterId, id: string): Promise<Job | undefined> {
    const pk = clusterPk(cluster);
    const index = await this.#table.get({ pk, sk: jobIdSk(id) });
    const sk = index?.jobSk;
    if (typeof sk !== 'string') return undefined;
    const item = await this.#table.get({ pk, sk });
    return item !== undefined && isJobItem(item) ? jobOf(item) : undefined;
  }

  async save(job: Job, expectedVersion: number): Promise<void> {
    const pk = clusterPk(job.cluster);
    const sk = jobSk(job.createdAt, job.id);
    await this.#indexStepCommands(job, pk, sk);
    if (!(await this.#table.putIfVersion(jobItem(job, pk, sk, this.historyMs), expectedVersion))) {
      throw new JobConflictError(`job ${job.id} changed since version ${expectedVersion} was read`);
    }
  }

  async acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void> {
    const acquired = await this.#table.putIf(
      { pk: clusterPk(cluster), sk: lockSk('restore'), jobId },
      {
        expression: 'attribute_not_exists(pk) OR jobId = :job OR jobId = :stale',
        values: { ':job': jobId, ':stale': staleHolder ?? jobId },
      },
    );
    if (acquired) return;
    const holder = (await this.restoreLockHolder(cluster)) ?? 'unknown';
    throw new RestoreLockedError(`cluster ${cluster}: restore ${holder} is running`, holder);
  }

  async releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void> {
    await this.#table.delete(
      { pk: clusterPk(cluster), sk: lockSk('restore') },
      { expression: 'jobId = :job', values: { ':job': jobId } },
    );
  }

  async restoreLockHolder(cluster: ClusterId): Promise<string | undefined> {
    const item = await this.#table.get({ pk: clusterPk(cluster), sk: lockSk('restore') });
    return typeof item?.jobId === 'string' ? item.jobId : undefined;
  }

  /** Every step's current command (an earlier attempt's was indexed when it was sent). */
  async #indexStepCommands(job: Job, pk: string, sk: string): Promise<void> {
    const commandIds = job.steps.flatMap((step) => (step.commandId ? [step.commandId] : []));
    await Promise.all(commandIds.map((commandId) => this.indexCommand(commandId, pk, sk, job)));
  }

  async findByCommandId(commandId: string): Promise<Job | undefined> {
    const item = await this.commandItem(commandId);
    return item === undefined ? undefined : jobOf(item);
  }

  /** The job item one of whose commands this is, of whichever type. */
  async commandItem(commandId: string): Promise<Item | undefined> {
    for await (const index of this.#table.query({ pk: commandPk(commandId), consistent: true })) {
      const { jobPk, jobSk: sk } = index;
      if (typeof jobPk !== 'string' || typeof sk !== 'string') continue;
      const item = await this.#table.get({ pk: jobPk, sk });
      if (item !== undefined && isJobItem(item)) return item;
    }
    return undefined;
  }

  async update(ref: JobRef, change: (job: Job) => Job): Promise<Job | undefined> {
    const pk = clusterPk(ref.cluster);
    const sk = jobSk(ref.createdAt, ref.id);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.#readHost(pk, sk);
      if (current === undefined) return undefined;
      const changed = change(current);
      if (changed === current) return current;
      const next: Job = { ...changed, version: current.version + 1 };
      if (await this.#table.putIfVersion(jobItem(next, pk, sk, this.historyMs), current.version)) {
        if (next.commandId !== undefined && next.commandId !== current.commandId) {
          await this.indexCommand(next.commandId, pk, sk, next);
        }
        return next;
      }
    }
    throw new TransientError(
      `job ${ref.id} of cluster ${ref.cluster}: ${MAX_UPDATE_ATTEMPTS} concurrent writes in a row; retry`,
    );
  }

  async list(
    cluster: ClusterId,
    options: { states?: readonly JobState[]; types?: readonly JobType[]; limit?: number } = {},
  ): Promise<Job[]> {
    const jobs: Job[] = [];
    for await (const item of this.jobItems(cluster)) {
      if (!isJobItem(item)) continue;
      const job = jobOf(item);
      if (options.states !== undefined && !options.states.includes(job.state)) continue;
      if (options.types !== undefined && !options.types.includes(job.type)) continue;
      jobs.push(job);
      if (options.limit !== undefined && jobs.length >= options.limit) break;
    }
    return jobs;
  }

  async listActive(cluster: ClusterId): Promise<Job[]> {
    const items = await this.activeItems(cluster);
    return items.flatMap((item) => (isJobItem(item) ? [jobOf(item)] : []));
  }

  async acquireLock(
    cluster: ClusterId,
    name: string,
    holder: string,
    now: Date,
    expiresAt: Date,
  ): Promise<LockAttempt> {
    const key = { pk: clusterPk(cluster), sk: lockSk(name) };
    const acquired = await this.#table.putIf(
      {
        ...key,
        holder,
        acquiredAt: now.toISOString(),
        expiresAt: expiresAt.getTime(),
        ttl: Math.ceil(expiresAt.getTime() / 1000),
      },
      {
        expression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
        values: { ':now': now.getTime(), ':holder': holder },
      },
    );
    if (acquired) return { acquired: true };
    const current = await this.#table.get(key);
    return {
      acquired: false,
      holder: String(current?.holder ?? 'unknown'),
      expiresAt: new Date(Number(current?.expiresAt ?? 0)),
      ...(typeof current?.acquiredAt === 'string' ? { acquiredAt: new Date(current.acquiredAt) } : {}),
    };
  }

  async releaseLock(cluster: ClusterId, name: string, holder: string): Promise<void> {
    await this.#table.delete(
      { pk: clusterPk(cluster), sk: lockSk(name) },
      { expression: 'holder = :holder', values: { ':holder': holder } },
    );
  }

  /**
   * Jobs an older walcat wrote have neither `activeOf` nor `ttl`: the active ones are missing from the `active` index
   * and the ended ones, with their lookups, never expire. Each such job gets what a current write would give it,
   * conditional on its body being the one read, so a job changed meanwhile (by any walcat) is left to that writer;
   * a job that carries either attribute already is skipped, which makes a second run a no-op.
   */
  async backfillLifetimes(cluster: ClusterId): Promise<JobBackfillCount> {
    let active = 0;
    let expiring = 0;
    let lookups = 0;
    for await (const item of this.jobItems(cluster)) {
      if (item[ACTIVE_OF] !== undefined || item.ttl !== undefined || typeof item.body !== 'string') continue;
      const lifetimeOf = oldJobLifetime(item);
      if (lifetimeOf === undefined) continue;
      const { createdAt, ended, commandIds } = lifetimeOf;
      const set = lifetime(cluster, ended, this.historyMs);
      const [name, value] = Object.entries(set)[0] as [string, unknown];
      const written = await this.#table.update(
        { pk: String(item.pk), sk: String(item.sk) },
        { expression: 'SET #lifetime = :lifetime', names: { '#lifetime': name }, values: { ':lifetime': value } },
        {
          expression: '#body = :body AND attribute_not_exists(#activeOf) AND attribute_not_exists(#ttl)',
          names: { '#body': 'body', '#activeOf': ACTIVE_OF, '#ttl': 'ttl' },
          values: { ':body': item.body },
        },
      );
      if (!written) continue;
      if (ended === undefined) active++;
      else expiring++;
      const ttl = lookupExpiresAt(createdAt, this.historyMs);
      const lookupKeys = [
        { pk: String(item.pk), sk: jobIdSk(String(item.jobId)) },
        ...(await this.#commandIndexKeys(commandIds)),
      ];
      for (const key of lookupKeys) {
        if (await this.#expireLookup(key, ttl)) lookups++;
      }
    }
    return { active, expiring, lookups };
  }

  /** The command index items of these commands, whichever sort key the store of their time used. */
  async #commandIndexKeys(commandIds: readonly string[]): Promise<{ pk: string; sk: string }[]> {
    const keys: { pk: string; sk: string }[] = [];
    for (const commandId of commandIds) {
      for await (const index of this.#table.query({ pk: commandPk(commandId) })) {
        keys.push({ pk: String(index.pk), sk: String(index.sk) });
      }
    }
    return keys;
  }

  /** Sets a lookup item's TTL if it exists and has none; false when there was nothing to do. */
  async #expireLookup(key: { pk: string; sk: string }, ttl: number): Promise<boolean> {
    return this.#table.update(
      key,
      { expression: 'SET #ttl = :ttl', names: { '#ttl': 'ttl' }, values: { ':ttl': ttl } },
      { expression: 'attribute_exists(pk) AND attribute_not_exists(#ttl)', names: { '#ttl': 'ttl' } },
    );
  }

  /** Job items of a cluster, newest first. */
  async *jobItems(cluster: ClusterId): AsyncGenerator<Item> {
    yield* this.#table.query({ pk: clusterPk(cluster), skPrefix: JOB_SK_PREFIX, forward: false });
  }

  /**
   * The cluster's jobs not yet ended, of both families, newest first: the sparse index names them (eventually
   * consistent), and one consistent batch read gives their current versions, leaving out any that ended since.
   */
  async activeItems(cluster: ClusterId): Promise<Item[]> {
    const keys: { pk: string; sk: string }[] = [];
    try {
      for await (const entry of this.#table.query({ pk: clusterPk(cluster), index: ACTIVE, forward: false })) {
        keys.push({ pk: String(entry.pk), sk: String(entry.sk) });
      }
    } catch (error) {
      if (!isMissingIndex(error)) throw error;
      // A table whose index `walcat init` has only just asked for (DynamoDB is still building it), or an emulator
      // that cannot add one: read the history as before the index existed.
      const items: Item[] = [];
      for await (const item of this.jobItems(cluster)) if (isActiveItem(item)) items.push(item);
      return items;
    }
    if (keys.length === 0) return [];
    const items = await this.#table.batchGet(keys);
    return items
      .filter((item) => item[ACTIVE_OF] !== undefined)
      .sort((a, b) => (String(a.sk) < String(b.sk) ? 1 : String(a.sk) > String(b.sk) ? -1 : 0));
  }

  /** Written before the job item: an event for a just-sent command must find its job. */
  async indexCommand(commandId: string, pk: string, sk: string, job: Job): Promise<void> {
    await this.#table.put({
      pk: commandPk(commandId),
      sk: COMMAND_INDEX_SK,
      jobPk: pk,
      jobSk: sk,
      jobId: job.id,
      jobFamily: jobFamily(job),
      ttl: lookupExpiresAt(job.createdAt, this.historyMs),
    });
  }

  async #readHost(pk: string, sk: string): Promise<Job | undefined> {
    const item = await this.#table.get({ pk, sk });
    return item?.jobFamily === HOST_JOB_FAMILY ? jobOf(item) : undefined;
  }
}

/** While a job is active it is in the `active` index; once it ended it expires `historyMs` after its end. */
function lifetime(cluster: ClusterId, endedAt: Date | undefined, historyMs: number): Item {
  return endedAt === undefined ? { [ACTIVE_OF]: clusterPk(cluster) } : { ttl: jobExpiresAt(endedAt, historyMs) };
}

/** When a job ended; undefined while it is queued or running (a failed restore resumed is active again). */
const jobEnd = (job: Job): Date | undefined =>
  isTerminalJobState(job.state) ? (job.finishedAt ?? job.lastUpdateAt) : undefined;

const jobFamily = (job: Job): string => (job.restore === undefined ? HOST_JOB_FAMILY : RESTORE_JOB_FAMILY);

/**
 * Every job's item, whatever its type: the same attributes, the active index or the ttl from when it ended, and the
 * job's JSON as its body.
 */
function jobItem(job: Job, pk: string, sk: string, historyMs: number): Item {
  return {
    ...lifetime(job.cluster, jobEnd(job), historyMs),
    pk,
    sk,
    jobFamily: jobFamily(job),
    jobType: job.type,
    jobId: job.id,
    state: job.state,
    version: job.version,
    lastUpdateAt: job.lastUpdateAt.toISOString(),
    body: JSON.stringify(jobToJson(job)),
  };
}

/**
 * When an old job item ended (undefined: it has not), when it was created, and the commands it sent; undefined for
 * an item of neither family.
 */
function oldJobLifetime(item: Item): { createdAt: Date; ended: Date | undefined; commandIds: string[] } | undefined {
  if (!isJobItem(item)) return undefined;
  const job = jobOf(item);
  const commandIds = [
    job.commandId,
    ...job.steps.flatMap((step) => [step.commandId, ...(step.previousCommandIds ?? [])]),
  ];
  return {
    createdAt: job.createdAt,
    ended: jobEnd(job),
    commandIds: commandIds.filter((id): id is string => id !== undefined),
  };
}

/** Items of another kind under `JOB#` (none today) are skipped. */
const isJobItem = (item: Item): boolean => item.jobFamily === HOST_JOB_FAMILY || item.jobFamily === RESTORE_JOB_FAMILY;
/** Any job item as the one job type, whichever shape its body was written in (stored-restore-job.ts). */
const jobOf = (item: Item): Job => jobFromStoredJson(JSON.parse(String(item.body)));

/** A job item not yet ended, whichever walcat wrote it (read from its body, not from attributes it may lack). */
function isActiveItem(item: Item): boolean {
  return isJobItem(item) && jobEnd(jobOf(item)) === undefined;
}
