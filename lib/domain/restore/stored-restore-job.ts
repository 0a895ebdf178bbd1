/**
 * Restores and drills as the catalog holds them. A job is stored as its job JSON ({@link jobToJson}); restores and
 * drills written before they were jobs of steps are in their own older shape (`jobId`, `kind`, `status`, the
 * request at the top, steps with `status` and `dispatchedAt`), which is still read here, so those items need no
 * migration: the next save of such a job writes the job JSON.
 */
import type { ClusterId } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import {
  type Job,
  type JobJson,
  type JobState,
  type JobStep,
  jobFromJson,
  type RestorePayloadJson,
} from '../jobs/job.ts';

/** Old restore statuses, in the job's states. */
const LEGACY_JOB_STATE: Readonly<Record<string, JobState>> = {
  running: 'running',
  failed: 'failed',
  succeeded: 'success',
};
/** Old step statuses, in the step's states (a step sent and not yet running is queued). */
const LEGACY_STEP_STATE: Readonly<Record<string, JobStep['state']>> = {
  pending: 'pending',
  dispatched: 'queued',
  running: 'running',
  succeeded: 'success',
  failed: 'failed',
};

/**
 * Any stored job, of either shape.
 *
 * @throws InvalidInputError when the item is neither (no id, request or steps, or a status no walcat wrote).
 * @example jobFromStoredJson({ jobId: 'd-1', kind: 'drill', status: 'succeeded', ... }).state === 'success'
 */
export function jobFromStoredJson(json: unknown): Job {
  if (typeof json !== 'object' || json === null) throw new InvalidInputError('stored job is not an object');
  const record = json as Record<string, unknown>;
  return typeof record.jobId === 'string' && record.id === undefined
    ? jobFromJson(jobJsonOfLegacyRestore(record))
    : jobFromJson(record as unknown as JobJson);
}

/** The job JSON of a restore stored in the older shape: the same facts under the job's names. */
function jobJsonOfLegacyRestore(record: Record<string, unknown>): JobJson {
  const {
    jobId,
    kind,
    status,
    updatedAt,
    instanceId,
    request,
    failure,
    outcome,
    thaw,
    steps,
    createdAt,
    finishedAt,
    cluster,
    version,
  } = record;
  const state = LEGACY_JOB_STATE[String(status)];
  const target = (request as { target?: { kind?: unknown } } | undefined)?.target;
  if (
    (kind !== 'restore' && kind !== 'drill') ||
    state === undefined ||
    typeof target?.kind !== 'string' ||
    !Array.isArray(steps)
  ) {
    throw new InvalidInputError(`restore job item ${JSON.stringify(jobId)} lacks kind, status, request or steps`);
  }
  const restore = {
    request,
    ...(failure === undefined ? {} : { failure }),
    ...(outcome === undefined ? {} : { outcome }),
    ...(thaw === undefined ? {} : { thaw }),
  } as RestorePayloadJson;
  return {
    id: String(jobId),
    cluster: String(cluster) as ClusterId,
    type: kind,
    state,
    createdAt: String(createdAt),
    // A restore's time counts from its creation.
    startedAt: String(createdAt),
    ...(typeof finishedAt === 'string' ? { finishedAt } : {}),
    lastUpdateAt: String(updatedAt ?? createdAt),
    ...(typeof instanceId === 'string' ? { host: instanceId } : {}),
    invocations: [],
    steps: (steps as Record<string, unknown>[]).map((step) => legacyStep(step, jobId)),
    restore,
    version: typeof version === 'number' ? version : 0,
  };
}

function legacyStep(step: Record<string, unknown>, jobId: unknown): JobJson['steps'][number] {
  const { status, dispatchedAt, ...rest } = step;
  const state = LEGACY_STEP_STATE[String(status)];
  if (state === undefined || typeof rest.name !== 'string') {
    throw new InvalidInputError(`restore job item ${JSON.stringify(jobId)}: a step has no name or status`);
  }
  return {
    ...(rest as Omit<JobJson['steps'][number], 'state' | 'invocations'>),
    state,
    invocations: [],
    ...(typeof dispatchedAt === 'string' ? { startedAt: dispatchedAt } : {}),
  };
}
