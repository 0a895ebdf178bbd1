/**
 * Restore and drill jobs in the catalog table:
 *
 * | item          | pk                    | sk                          | holds                                   |
 * |---------------|-----------------------|-----------------------------|-----------------------------------------|
 * | job           | `CLUSTER#<id>`        | `JOB#<created ISO>#<jobId>` | the job as JSON, status, kind, version  |
 * | job id index  | `CLUSTER#<id>`        | `JOBID#<jobId>`             | the job's sort key                      |
 * | command index | `COMMAND#<commandId>` | `COMMAND`                   | the job's pk and sk                     |
 * | restore lock  | `CLUSTER#<id>`        | `LOCK#restore`              | the job id of the one running restore   |
 *
 * Status-change events name only a command, hence the command index; `walcat restore status JOB` names only the job,
 * hence the id index. The job item is written last on create, and every save is conditional on the version read.
 * Other features keep their own jobs under `JOB#` too: items without `jobFamily = restore` are skipped.
 */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ClusterId } from '../../domain/cluster.ts';
import {
  type RestoreJob,
  type RestoreJobKind,
  restoreJobFromJson,
  restoreJobToJson,
} from '../../domain/restore/restore-job.ts';
import { RestoreJobConflictError, type RestoreJobStore, RestoreLockedError } from '../../ports/restore-job-store.ts';
import { clusterPk, JOB_SK_PREFIX, jobSk, lockSk } from './catalog-keys.ts';

const JOB_FAMILY = 'restore';
const jobIdSk = (jobId: string): string => `JOBID#${jobId}`;
const commandPk = (commandId: string): string => `COMMAND#${commandId}`;
const COMMAND_SK = 'COMMAND';

type Item = Record<string, unknown>;

export interface DynamoDbRestoreJobStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}

export class DynamoDbRestoreJobStore implements RestoreJobStore {
  readonly #client: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(options: DynamoDbRestoreJobStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
  }

  async acquireRestoreLock(cluster: ClusterId, jobId: string, staleHolder?: string): Promise<void> {
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk: clusterPk(cluster), sk: lockSk('restore'), jobId },
          ConditionExpression: 'attribute_not_exists(pk) OR jobId = :job OR jobId = :stale',
          ExpressionAttributeValues: { ':job': jobId, ':stale': staleHolder ?? jobId },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
      const holder = (await this.restoreLockHolder(cluster)) ?? 'unknown';
      throw new RestoreLockedError(`cluster ${cluster}: restore ${holder} is running`, holder);
    }
  }

  async releaseRestoreLock(cluster: ClusterId, jobId: string): Promise<void> {
    try {
      await this.#client.send(
        new DeleteCommand({
          TableName: this.#table,
          Key: { pk: clusterPk(cluster), sk: lockSk('restore') },
          ConditionExpression: 'jobId = :job',
          ExpressionAttributeValues: { ':job': jobId },
        }),
      );
    } catch (error) {
      if ((error as { name?: string }).name !== 'ConditionalCheckFailedException') throw error;
    }
  }

  async restoreLockHolder(cluster: ClusterId): Promise<string | undefined> {
    const result = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: clusterPk(cluster), sk: lockSk('restore') },
        ConsistentRead: true,
      }),
    );
    return typeof result.Item?.jobId === 'string' ? result.Item.jobId : undefined;
  }

  async create(job: RestoreJob): Promise<void> {
    const pk = clusterPk(job.cluster);
    const sk = jobSk(job.createdAt, job.jobId);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: { pk, sk: jobIdSk(job.jobId), jobSk: sk },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      throw conflictOr(error, `restore job ${job.jobId} already exists in cluster ${job.cluster}`);
    }
    await this.#indexCommands(job, pk, sk);
    await this.#client.send(new PutCommand({ TableName: this.#table, Item: jobItem(job, pk, sk) }));
  }

  async save(job: RestoreJob, expectedVersion: number): Promise<void> {
    const pk = clusterPk(job.cluster);
    const sk = jobSk(job.createdAt, job.jobId);
    // Index first: an event for a just-sent command must find its job even if it arrives before the job is saved.
    await this.#indexCommands(job, pk, sk);
    try {
      await this.#client.send(
        new PutCommand({
          TableName: this.#table,
          Item: jobItem(job, pk, sk),
          ConditionExpression: 'version = :expected',
          ExpressionAttributeValues: { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      throw conflictOr(error, `restore job ${job.jobId} changed since version ${expectedVersion} was read`);
    }
  }

  async get(cluster: ClusterId, jobId: string): Promise<RestoreJob | undefined> {
    const pk = clusterPk(cluster);
    const index = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk, sk: jobIdSk(jobId) }, ConsistentRead: true }),
    );
    const sk = index.Item?.jobSk;
    return typeof sk === 'string' ? this.#read(pk, sk) : undefined;
  }

  async findByCommandId(commandId: string): Promise<RestoreJob | undefined> {
    const index = await this.#client.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: commandPk(commandId), sk: COMMAND_SK },
        ConsistentRead: true,
      }),
    );
    const { jobPk, jobSk: sk } = index.Item ?? {};
    return typeof jobPk === 'string' && typeof sk === 'string' ? this.#read(jobPk, sk) : undefined;
  }

  async list(cluster: ClusterId, options: { kind?: RestoreJobKind; limit?: number } = {}): Promise<RestoreJob[]> {
    const jobs: RestoreJob[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.#client.send(
        new QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          FilterExpression:
            options.kind === undefined ? 'jobFamily = :family' : 'jobFamily = :family AND jobKind = :kind',
          ExpressionAttributeValues: {
            ':pk': clusterPk(cluster),
            ':prefix': JOB_SK_PREFIX,
            ':family': JOB_FAMILY,
            ...(options.kind === undefined ? {} : { ':kind': options.kind }),
          },
          ScanIndexForward: false,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        jobs.push(fromItem(item));
        if (options.limit !== undefined && jobs.length >= options.limit) return jobs;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return jobs;
  }

  async listRunning(clusters: readonly ClusterId[]): Promise<RestoreJob[]> {
    const all = await Promise.all(clusters.map((cluster) => this.list(cluster)));
    return all.flat().filter((job) => job.status === 'running');
  }

  async #read(pk: string, sk: string): Promise<RestoreJob | undefined> {
    const result = await this.#client.send(
      new GetCommand({ TableName: this.#table, Key: { pk, sk }, ConsistentRead: true }),
    );
    return result.Item ? fromItem(result.Item) : undefined;
  }

  async #indexCommands(job: RestoreJob, pk: string, sk: string): Promise<void> {
    const commandIds = job.steps.flatMap((step) => (step.commandId ? [step.commandId] : []));
    await Promise.all(
      commandIds.map((commandId) =>
        this.#client.send(
          new PutCommand({
            TableName: this.#table,
            Item: { pk: commandPk(commandId), sk: COMMAND_SK, jobPk: pk, jobSk: sk, jobId: job.jobId },
          }),
        ),
      ),
    );
  }
}

function jobItem(job: RestoreJob, pk: string, sk: string): Item {
  return {
    pk,
    sk,
    jobFamily: JOB_FAMILY,
    jobKind: job.kind,
    jobId: job.jobId,
    status: job.status,
    version: job.version,
    updatedAt: job.updatedAt.toISOString(),
    body: JSON.stringify(restoreJobToJson(job)),
  };
}

function fromItem(item: Item): RestoreJob {
  return restoreJobFromJson(JSON.parse(String(item.body)));
}

function conflictOr(error: unknown, message: string): unknown {
  return (error as { name?: string }).name === 'ConditionalCheckFailedException'
    ? new RestoreJobConflictError(message, { cause: error })
    : error;
}
