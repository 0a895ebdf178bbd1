/**
 * Host-command jobs and cluster locks in the catalog table:
 *
 * | item          | pk                    | sk                          | holds                                        |
 * |---------------|-----------------------|-----------------------------|----------------------------------------------|
 * | job           | `CLUSTER#<id>`        | `JOB#<created ISO>#<jobId>` | the job as JSON, `jobFamily = host-command`, state, version |
 * | command index | `COMMAND#<commandId>` | `HOST_JOB`                  | the job's pk and sk                          |
 * | lock          | `CLUSTER#<id>`        | `LOCK#<name>`               | holder, expiresAt (epoch ms), ttl (epoch s)  |
 *
 * Restore jobs share the `JOB#` range and index their commands under sort key `COMMAND`; the different sort key
 * keeps the two command indexes apart, and items of another `jobFamily` are skipped. Locks expire by condition
 * (`expiresAt < :now`), which dynalite supports; `ttl` lets real DynamoDB delete stale locks as well.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClusterId } from '../../domain/cluster.ts';
import { TransientError } from '../../domain/errors.ts';
import { type Job, type JobJson, type JobState, jobFromJson, jobToJson } from '../../domain/jobs/job.ts';
import type { JobRef, JobStore, LockAttempt } from '../../ports/job-store.ts';
import { clusterPk, JOB_SK_PREFIX, jobSk, lockSk } from './catalog-keys.ts';

export const HOST_JOB_FAMILY = 'host-command';
const commandPk = (commandId: string): string => `COMMAND#${commandId}`;
const HOST_JOB_COMMAND_SK = 'HOST_JOB';
const MAX_UPDATE_ATTEMPTS = 8;

type Item = Record<string, unknown>;

export interface DynamoDbJobStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

function isConditionFailure(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

export class DynamoDbJobStore implements JobStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoDbJobStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async create(job: Job): Promise<void> {
    const pk = clusterPk(job.cluster);
    const sk = jobSk(job.createdAt, job.id);
    if (job.commandId !== undefined) await this.#indexCommand(job.commandId, pk, sk, job.id);
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: jobItem(job, pk, sk),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(ref: JobRef): Promise<Job | undefined> {
    return this.#read(clusterPk(ref.cluster), jobSk(ref.createdAt, ref.id));
  }

  async findByCommandId(commandId: string): Promise<Job | undefined> {
    const index = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: commandPk(commandId), sk: HOST_JOB_COMMAND_SK },
        ConsistentRead: true,
      }),
    );
    const { jobPk, jobSk: sk } = index.Item ?? {};
    return typeof jobPk === 'string' && typeof sk === 'string' ? this.#read(jobPk, sk) : undefined;
  }

  async update(ref: JobRef, change: (job: Job) => Job): Promise<Job | undefined> {
    const pk = clusterPk(ref.cluster);
    const sk = jobSk(ref.createdAt, ref.id);
    for (let attempt = 0; attempt < MAX_UPDATE_ATTEMPTS; attempt++) {
      const current = await this.#read(pk, sk);
      if (current === undefined) return undefined;
      const changed = change(current);
      if (changed === current) return current;
      const next: Job = { ...changed, version: current.version + 1 };
      try {
        await this.#client.send(
          new PutCommand({
            TableName: this.#table,
            Item: jobItem(next, pk, sk),
            ConditionExpression: 'version = :expected',
            ExpressionAttributeValues: { ':expected': current.version },
          }),
        );
        if (next.commandId !== undefined && next.commandId !== current.commandId) {
          await this.#indexCommand(next.commandId, pk, sk, next.id);
        }
        return next;
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    }
    throw new TransientError(
      `job ${ref.id} of cluster ${ref.cluster}: ${MAX_UPDATE_ATTEMPTS} concurrent writes in a row; retry`,
    );
  }

  async list(cluster: ClusterId, options: { states?: readonly JobState[]; limit?: number } = {}): Promise<Job[]> {
    const jobs: Job[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression: 'jobFamily = :family',
          ExpressionAttributeValues: {
            ':pk': clusterPk(cluster),
            ':prefix': JOB_SK_PREFIX,
            ':family': HOST_JOB_FAMILY,
          },
          ScanIndexForward: false,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const job = fromItem(item);
        if (options.states !== undefined && !options.states.includes(job.state)) continue;
        jobs.push(job);
        if (options.limit !== undefined && jobs.length >= options.limit) return jobs;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  async acquireLock(
    cluster: ClusterId,
    name: string,
    holder: string,
    now: Date,
    expiresAt: Date,
  ): Promise<LockAttempt> {
    const key = { pk: clusterPk(cluster), sk: lockSk(name) };
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...key,
            holder,
            acquiredAt: now.toISOString(),
            expiresAt: expiresAt.getTime(),
            ttl: Math.ceil(expiresAt.getTime() / 1000),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now OR holder = :holder',
          ExpressionAttributeValues: { ':now': now.getTime(), ':holder': holder },
        }),
      );
      return { acquired: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const current = await this.#client.send(new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }));
    return {
      acquired: false,
      holder: String(current.Item?.holder ?? 'unknown'),
      expiresAt: new Date(Number(current.Item?.expiresAt ?? 0)),
      ...(typeof current.Item?.acquiredAt === 'string' ? { acquiredAt: new Date(current.Item.acquiredAt) } : {}),
    };
  }

  async releaseLock(cluster: ClusterId, name: string, holder: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { pk: clusterPk(cluster), sk: lockSk(name) },
          ConditionExpression: 'holder = :holder',
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async #indexCommand(commandId: string, pk: string, sk: string, jobId: string): Promise<void> {
    await this.#client.send(
      new PutCommand({
        TableName: this.#table,
        Item: { pk: commandPk(commandId), sk: HOST_JOB_COMMAND_SK, jobPk: pk, jobSk: sk, jobId },
      }),
    );
  }

  async #read(pk: string, sk: string): Promise<Job | undefined> {
    const result = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return result.Item && result.Item.jobFamily === HOST_JOB_FAMILY ? fromItem(result.Item) : undefined;
  }
}

function jobItem(job: Job, pk: string, sk: string): Item {
  return {
    pk,
    sk,
    jobFamily: HOST_JOB_FAMILY,
    jobType: job.type,
    jobId: job.id,
    state: job.state,
    version: job.version,
    lastUpdateAt: job.lastUpdateAt.toISOString(),
    body: JSON.stringify(jobToJson(job)),
  };
}

function fromItem(item: Item): Job {
  return jobFromJson(JSON.parse(String(item.body)) as JobJson);
}
