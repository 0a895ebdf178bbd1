/**
 * Retention plans in the catalog table. One plan is:
 *
 * | item        | pk             | sk                                          |
 * |-------------|----------------|---------------------------------------------|
 * | header      | `CLUSTER#<id>` | `PLAN#<created ISO>#<planId>`               |
 * | body part   | `CLUSTER#<id>` | `PLANPART#<created ISO>#<planId>#BODY#<n>`  |
 * | key batch   | `CLUSTER#<id>` | `PLANPART#<created ISO>#<planId>#BATCH#<n>` |
 * | WAL batch   | `CLUSTER#<id>` | `PLANPART#<created ISO>#<planId>#WALBATCH#<n>` |
 *
 * The body (the plan as JSON, with its WAL deletions as ranges) is split into parts and the backup objects' keys
 * into batches, so no item comes near DynamoDB's 400 KB limit however large the plan. The WAL keys are never stored:
 * apply expands the ranges from the catalog and writes one small WAL batch item per batch it deleted (where it got
 * to, per-key failures). Parts sit under their own prefix so listing plans (`begins_with(sk, 'PLAN#')`) reads headers
 * only. The header is written last: a plan is visible only once whole. Each key batch records its own outcome
 * (`done`, per-key failures); with the WAL batch items, that is what makes apply resumable.
 *
 * Plans stored before the WAL was kept as ranges have no `format` in their header and every key, WAL included, in
 * their key batches; they read as format `keys`.
 */
import type { ClusterId } from '../../domain/cluster.ts';
import { MAX_KEYS_PER_DELETE } from '../../domain/retention/deletion-batches.ts';
import { planIdSecond } from '../../domain/retention/plan-id.ts';
import type {
  DeletionBatch,
  KeyFailure,
  NewPlan,
  PlanHeader,
  PlanStatus,
  PlanStore,
  StoredPlanBody,
  StoredPlanFormat,
  WalBatchRecord,
} from '../../ports/plan-store.ts';
import { clusterPk, PLAN_SK_PREFIX, planSk } from './catalog-keys.ts';
import { type Item, SingleTable, type SingleTableOptions, WRITE_BATCH } from './single-table.ts';

/** Sort-key prefix of a plan's body parts and key batches (kept apart from `PLAN#` headers). */
export const PLAN_PART_SK_PREFIX = 'PLANPART#';
/** Characters of plan JSON per body part: at most 4 bytes each in UTF-8, so a part stays below 400 KB. */
const BODY_PART_CHARS = 90_000;
/** A failure message is cut to this length so a batch item with a failure per key stays small. */
const FAILURE_MESSAGE_CHARS = 120;

const partPrefix = (createdAt: Date, planId: string): string =>
  `${PLAN_PART_SK_PREFIX}${createdAt.toISOString()}#${planId}#`;
const bodySk = (createdAt: Date, planId: string, n: number): string =>
  `${partPrefix(createdAt, planId)}BODY#${n.toString().padStart(6, '0')}`;
const batchSk = (createdAt: Date, planId: string, n: number): string =>
  `${partPrefix(createdAt, planId)}BATCH#${n.toString().padStart(6, '0')}`;
const walBatchSk = (createdAt: Date, planId: string, n: number): string =>
  `${partPrefix(createdAt, planId)}WALBATCH#${n.toString().padStart(9, '0')}`;
const cutFailure = (failure: KeyFailure): KeyFailure => ({
  key: failure.key,
  code: failure.code,
  message: failure.message.slice(0, FAILURE_MESSAGE_CHARS),
});

/** The plan body as JSON; dates are ISO strings and come back as dates. */
export function encodePlanBody(body: StoredPlanBody): string {
  return JSON.stringify(body);
}

export function decodePlanBody(text: string): StoredPlanBody {
  const raw = JSON.parse(text) as StoredPlanBody & Record<string, unknown>;
  const toDate = (value: unknown): Date | undefined => (typeof value === 'string' ? new Date(value) : undefined);
  const withDate = <T extends { finishedAt?: Date }>(entry: T): T => {
    const finishedAt = toDate(entry.finishedAt);
    return finishedAt ? { ...entry, finishedAt } : entry;
  };
  const windowStart = toDate(raw.windowStart);
  return {
    ...raw,
    createdAt: toDate(raw.createdAt) as Date,
    ...(windowStart ? { windowStart } : {}),
    keep: raw.keep.map(withDate),
    delete: { ...raw.delete, backups: raw.delete.backups.map(withDate) },
  };
}

function headerFromItem(item: Item): PlanHeader {
  return {
    planId: item.planId as string,
    cluster: item.cluster as ClusterId,
    createdAt: new Date(item.createdAt as string),
    status: item.status as PlanStatus,
    bucket: item.bucket as string,
    format: (item.format as StoredPlanFormat | undefined) ?? 'keys',
    batchCount: item.batchCount as number,
    keyCount: item.keyCount as number,
    ...(typeof item.walBatchKeys === 'number' ? { walBatchKeys: item.walBatchKeys } : {}),
    bytesFreed: item.bytesFreed as number,
    backupsDeleted: item.backupsDeleted as number,
    walObjectsDeleted: item.walObjectsDeleted as number,
    ...(typeof item.appliedAt === 'string' ? { appliedAt: new Date(item.appliedAt) } : {}),
    ...(typeof item.failedCount === 'number' ? { failedCount: item.failedCount } : {}),
  };
}

export type DynamoDbPlanStoreOptions = SingleTableOptions;

export class DynamoDbPlanStore implements PlanStore {
  readonly #table: SingleTable;

  constructor(options: DynamoDbPlanStoreOptions) {
    this.#table = new SingleTable(options);
  }

  async savePlan(newPlan: NewPlan): Promise<PlanHeader> {
    const { plan, bucket, batches } = newPlan;
    const pk = clusterPk(plan.cluster);
    // Items are addressed by the second in the id, so a plan is found from its id alone.
    const second = planIdSecond(plan.planId);
    const text = encodePlanBody(plan);
    const parts: Item[] = [];
    for (let start = 0, n = 0; start < text.length; start += BODY_PART_CHARS, n++) {
      parts.push({
        pk,
        sk: bodySk(second, plan.planId, n),
        itemType: 'plan-body',
        text: text.slice(start, start + BODY_PART_CHARS),
      });
    }
    await this.#table.batchWrite({ puts: parts });
    let batchCount = 0;
    let keyCount = 0;
    let pending: Item[] = [];
    for await (const keys of batches) {
      const index = batchCount++;
      keyCount += keys.length;
      pending.push({
        pk,
        sk: batchSk(second, plan.planId, index),
        itemType: 'plan-batch',
        index,
        keys: [...keys],
        done: false,
        failed: [],
      });
      if (pending.length >= WRITE_BATCH) {
        await this.#table.batchWrite({ puts: pending });
        pending = [];
      }
    }
    await this.#table.batchWrite({ puts: pending });
    const walObjectsDeleted = plan.delete.wal.reduce((sum, range) => sum + range.objects, 0);
    const header: PlanHeader = {
      planId: plan.planId,
      cluster: plan.cluster,
      createdAt: plan.createdAt,
      status: 'pending',
      bucket,
      format: 'ranges',
      batchCount,
      keyCount: keyCount + walObjectsDeleted,
      walBatchKeys: Math.min(newPlan.walBatchKeys ?? MAX_KEYS_PER_DELETE, MAX_KEYS_PER_DELETE),
      bytesFreed: plan.bytesFreed,
      backupsDeleted: plan.delete.backups.length,
      walObjectsDeleted,
    };
    await this.#table.put({
      pk,
      sk: planSk(second, plan.planId),
      itemType: 'retention-plan',
      ...header,
      createdAt: header.createdAt.toISOString(),
      bodyParts: parts.length,
    });
    return header;
  }

  async getPlanHeader(cluster: ClusterId, planId: string): Promise<PlanHeader | undefined> {
    const item = await this.#table.get({ pk: clusterPk(cluster), sk: planSk(planIdSecond(planId), planId) });
    return item ? headerFromItem(item) : undefined;
  }

  async getPlanBody(cluster: ClusterId, planId: string): Promise<StoredPlanBody | undefined> {
    const prefix = `${partPrefix(planIdSecond(planId), planId)}BODY#`;
    let text = '';
    let found = false;
    for await (const item of this.#query(cluster, prefix)) {
      found = true;
      text += item.text as string;
    }
    return found ? decodePlanBody(text) : undefined;
  }

  async listPlans(cluster: ClusterId): Promise<PlanHeader[]> {
    const headers: PlanHeader[] = [];
    for await (const item of this.#query(cluster, PLAN_SK_PREFIX)) headers.push(headerFromItem(item));
    return headers.reverse();
  }

  async *listBatches(cluster: ClusterId, planId: string): AsyncIterable<DeletionBatch> {
    const prefix = `${partPrefix(planIdSecond(planId), planId)}BATCH#`;
    for await (const item of this.#query(cluster, prefix)) {
      const keys = item.keys as string[];
      const failed = (item.failed as { i: number; code: string; message: string }[]).map((entry) => ({
        key: keys[entry.i] as string,
        code: entry.code,
        message: entry.message,
      }));
      yield { index: item.index as number, keys, done: item.done as boolean, failed };
    }
  }

  async *listWalBatches(cluster: ClusterId, planId: string): AsyncIterable<WalBatchRecord> {
    const prefix = `${partPrefix(planIdSecond(planId), planId)}WALBATCH#`;
    for await (const item of this.#query(cluster, prefix)) {
      const last = item.last as { segNo: number; key: string } | undefined;
      const lastDoomed = item.lastDoomed as { timeline: number; segNo: number } | undefined;
      yield {
        index: item.index as number,
        range: item.range as number,
        ...(last ? { last: { segNo: last.segNo, key: last.key } } : {}),
        rangeDone: item.rangeDone as boolean,
        ...(lastDoomed ? { lastDoomed: { timeline: lastDoomed.timeline, segNo: lastDoomed.segNo } } : {}),
        failed: (item.failed as KeyFailure[]).map(cutFailure),
      };
    }
  }

  async recordWalBatch(cluster: ClusterId, planId: string, record: WalBatchRecord): Promise<boolean> {
    return this.#table.putIfAbsent({
      pk: clusterPk(cluster),
      sk: walBatchSk(planIdSecond(planId), planId, record.index),
      itemType: 'plan-wal-batch',
      index: record.index,
      range: record.range,
      ...(record.last ? { last: { segNo: record.last.segNo, key: record.last.key } } : {}),
      rangeDone: record.rangeDone,
      ...(record.lastDoomed ? { lastDoomed: { ...record.lastDoomed } } : {}),
      failed: record.failed.map(cutFailure),
    });
  }

  async completeBatch(
    cluster: ClusterId,
    planId: string,
    index: number,
    failed: readonly KeyFailure[],
    firstOnly = false,
  ): Promise<boolean> {
    const sk = batchSk(planIdSecond(planId), planId, index);
    const existing = await this.#table.get({ pk: clusterPk(cluster), sk });
    const keys = (existing?.keys as string[] | undefined) ?? [];
    const position = new Map(keys.map((key, i) => [key, i]));
    const entries = failed.map((failure) => ({
      i: position.get(failure.key) ?? -1,
      code: failure.code,
      message: failure.message.slice(0, FAILURE_MESSAGE_CHARS),
    }));
    return this.#table.update(
      { pk: clusterPk(cluster), sk },
      {
        expression: 'SET done = :done, failed = :failed',
        values: { ':done': true, ':failed': entries.filter((entry) => entry.i >= 0) },
      },
      firstOnly
        ? { expression: 'attribute_exists(pk) AND done = :false', values: { ':false': false } }
        : { expression: 'attribute_exists(pk)' },
    );
  }

  async setStatus(
    cluster: ClusterId,
    planId: string,
    status: PlanStatus,
    extra: { readonly appliedAt?: Date; readonly failedCount?: number } = {},
    onlyFrom?: readonly PlanStatus[],
  ): Promise<boolean> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':status': status };
    const sets = ['#status = :status'];
    if (extra.appliedAt) {
      sets.push('appliedAt = :appliedAt');
      values[':appliedAt'] = extra.appliedAt.toISOString();
    }
    if (extra.failedCount !== undefined) {
      sets.push('failedCount = :failedCount');
      values[':failedCount'] = extra.failedCount;
    }
    let condition = 'attribute_exists(pk)';
    if (onlyFrom !== undefined) {
      onlyFrom.forEach((from, i) => {
        values[`:from${i}`] = from;
      });
      condition += ` AND #status IN (${onlyFrom.map((_, i) => `:from${i}`).join(', ')})`;
    }
    return this.#table.update(
      { pk: clusterPk(cluster), sk: planSk(planIdSecond(planId), planId) },
      { expression: `SET ${sets.join(', ')}`, names, values },
      { expression: condition },
    );
  }

  #query(cluster: ClusterId, prefix: string): AsyncIterable<Item> {
    return this.#table.query({ pk: clusterPk(cluster), skPrefix: prefix, consistent: true });
  }
}
