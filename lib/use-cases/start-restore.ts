import type { ClusterConfig, HostSettings } from '../domain/cluster.ts';
import { InvalidInputError } from '../domain/errors.ts';
import type { Job } from '../domain/jobs/job.ts';
import {
  createRestoreJob,
  type RestoreHostTarget,
  type RestoreJobType,
  resumeRestoreJob,
} from '../domain/restore/restore-job.ts';
import type { RestorePlan } from '../domain/restore/restore-plan.ts';
import type { RestoreTarget } from '../domain/restore/restore-target.ts';
import { ThawRequiredError } from '../domain/restore/restore-thaw.ts';
import { JobConflictError } from '../ports/job-store.ts';
import { catchUpOnSentStep, dispatchAndCatchUp } from './advance-restore.ts';
import { planClusterRestore } from './plan-restore.ts';
import { dispatchNextStep, notifyRestore, type RestoreDeps, takeRestoreLock } from './restore-dependencies.ts';
import { type ThawOptions, type ThawOutcome, thawRestoreObjects } from './thaw-restore-objects.ts';

/** Default time wait-recovery gives PostgreSQL to replay to the target. */
export const DEFAULT_RECOVERY_TIMEOUT_SECONDS = 3600;

export interface StartRestoreRequest {
  readonly cluster: ClusterConfig;
  readonly target: RestoreTarget;
  /** A new host; absent with `inPlace` (the cluster's own host, by its tag). */
  readonly host?: RestoreHostTarget;
  /** Restore onto the cluster's own host, stopping its server: must be asked for explicitly. */
  readonly inPlace: boolean;
  readonly action?: 'promote' | 'pause';
  readonly checkSql?: string;
  /** Overrides of the cluster's host settings for the target host (a scratch host's data directory...). */
  readonly hostOverrides?: Partial<HostSettings>;
  readonly extraSettings?: Readonly<Record<string, string>>;
  readonly recoveryTimeoutSeconds?: number;
  readonly type?: RestoreJobType;
  readonly jobId: string;
  /** Drills: replace an earlier walcat restored copy running on the target (see RestoreRequest). */
  readonly replaceRestoredCopy?: boolean;
  /** Run pg_amcheck over the restored copy in verify. */
  readonly amcheck?: boolean;
  /** In-place restores that promote: turn archiving back on and archive the new timeline at the end. */
  readonly resumeArchiving?: boolean;
  /**
   * Thaw the frozen objects the plan reads and wait until they are readable before the job starts. Without it a
   * plan that reads frozen objects is refused (ThawRequiredError), naming them and the fix.
   */
  readonly thaw?: ThawOptions;
}

export interface StartedRestore {
  readonly job: Job;
  readonly plan: RestorePlan;
  /** Present when frozen objects were thawed first: how many and how long it took. */
  readonly thawed?: ThawOutcome;
}

/**
 * Plans the restore from the catalog (refusing unreachable targets), takes the cluster's restore lock (one restore
 * per cluster at a time; released when the job ends or fails), stores a new job and sends its first step.
 * Restoring onto the cluster's own hosts requires `inPlace`; `inPlace` with another host is refused, so an operator
 * never stops a primary by a typo.
 *
 * @throws RestoreTargetUnreachableError, InvalidInputError (host and flag do not match, no host settings),
 *   RestoreLockedError (another restore of the cluster is running; the message names it).
 */
export async function startRestore(deps: RestoreDeps, request: StartRestoreRequest): Promise<StartedRestore> {
  const cluster = request.cluster;
  if (!cluster.hosts) {
    throw new InvalidInputError(
      `cluster ${cluster.id}: no hosts settings in the config; add clusters[].hosts (pgData, osUser, service) to restore`,
    );
  }
  const ownTag = cluster.hosts.target;
  const host = await singleInstance(deps, cluster, resolveHost(cluster, request, ownTag));
  const now = deps.now();
  const plan = await planClusterRestore(deps, cluster, request.target, now);
  const thawed = await thawFirst(deps, request, plan);
  const hostSettings: HostSettings = { ...cluster.hosts, ...request.hostOverrides };
  const type = request.type ?? 'restore';
  if (type === 'restore') await takeRestoreLock(deps, cluster.id, request.jobId);
  try {
    const started = await createAndDispatch(deps, request, {
      plan,
      host,
      hostSettings,
      type,
      now: thawed === undefined ? now : deps.now(),
      ...(thawed === undefined ? {} : { thawed }),
    });
    return thawed === undefined ? started : { ...started, thawed };
  } catch (error) {
    if (type === 'restore') await deps.jobs.releaseRestoreLock(cluster.id, request.jobId);
    throw error;
  }
}

/** Refuses a plan that reads frozen objects unless the thaw was asked for; then thaws them and waits. */
async function thawFirst(
  deps: RestoreDeps,
  request: StartRestoreRequest,
  plan: RestorePlan,
): Promise<ThawOutcome | undefined> {
  if (plan.thaw === undefined) return undefined;
  if (request.thaw === undefined) throw new ThawRequiredError(request.cluster.id, plan.thaw);
  if (deps.thaw === undefined) {
    throw new InvalidInputError(
      `cluster ${request.cluster.id}: this door cannot thaw objects (no S3 thaw adapter); thaw them with aws s3api restore-object and start again`,
    );
  }
  return thawRestoreObjects(
    { thaw: deps.thaw, now: deps.now, ...(deps.sleep ? { sleep: deps.sleep } : {}) },
    request.cluster.storage.bucket,
    plan.thaw.objects,
    request.thaw,
  );
}

async function createAndDispatch(
  deps: RestoreDeps,
  request: StartRestoreRequest,
  context: {
    readonly plan: RestorePlan;
    readonly host: RestoreHostTarget;
    readonly hostSettings: HostSettings;
    readonly type: RestoreJobType;
    readonly now: Date;
    readonly thawed?: ThawOutcome;
  },
): Promise<StartedRestore> {
  const { plan, host, hostSettings, type, now, thawed } = context;
  const cluster = request.cluster;
  const job = createRestoreJob({
    id: request.jobId,
    cluster: cluster.id,
    type,
    now,
    ...(thawed === undefined
      ? {}
      : { thaw: { objects: thawed.objects, requested: thawed.requested, seconds: thawed.seconds } }),
    request: {
      target: request.target,
      baseBackup: plan.baseBackup.name,
      timeline: request.target.kind === 'latest' ? 'latest' : plan.timeline,
      action: request.action ?? 'promote',
      host,
      inPlace: request.inPlace,
      hostSettings,
      recoveryTimeoutSeconds: request.recoveryTimeoutSeconds ?? DEFAULT_RECOVERY_TIMEOUT_SECONDS,
      ...(plan.baseBackup.pgVersion === undefined ? {} : { pgVersion: plan.baseBackup.pgVersion }),
      ...(plan.baseBackup.uncompressedSize === undefined ? {} : { requiredBytes: plan.baseBackup.uncompressedSize }),
      ...(request.checkSql === undefined ? {} : { checkSql: request.checkSql }),
      ...(request.extraSettings === undefined ? {} : { extraSettings: request.extraSettings }),
      ...(request.replaceRestoredCopy === undefined ? {} : { replaceRestoredCopy: request.replaceRestoredCopy }),
      ...(request.amcheck === undefined ? {} : { amcheck: request.amcheck }),
      ...(request.resumeArchiving === undefined ? {} : { resumeArchiving: request.resumeArchiving }),
    },
  });
  await deps.jobs.create(job);
  const dispatched = await dispatchNextStep(deps, job);
  // Before the look at the first step: when that step has already ended (and failed), Slack hears of the start
  // before the failure.
  await notifyRestore(deps, dispatched, 'started');
  return { job: await catchUpOnSentStep(deps, job, dispatched), plan };
}

/**
 * A restore runs on exactly one host: a tag is resolved to its instance up front, and a tag carried by no instance
 * or by several (a primary and its standbys) is refused, since a command sent to the tag would run on all of them.
 */
async function singleInstance(
  deps: RestoreDeps,
  cluster: ClusterConfig,
  host: RestoreHostTarget,
): Promise<RestoreHostTarget> {
  if (host.kind === 'instance') return host;
  const instances = await deps.instances.instancesWithTag(host.tagKey, host.tagValue);
  const [only, ...others] = instances;
  if (only === undefined || others.length > 0) {
    throw new InvalidInputError(
      `cluster ${cluster.id}: ${instances.length} managed instances carry the tag ${host.tagKey}=${host.tagValue}${instances.length > 0 ? ` (${instances.join(', ')})` : ''}; a restore runs on exactly one host: name it with --instance`,
    );
  }
  return { kind: 'instance', instanceId: only };
}

function resolveHost(
  cluster: ClusterConfig,
  request: StartRestoreRequest,
  ownTag: { tagKey: string; tagValue: string },
): RestoreHostTarget {
  const isOwnTag = (host: RestoreHostTarget) =>
    host.kind === 'tag' && host.tagKey === ownTag.tagKey && host.tagValue === ownTag.tagValue;
  if (request.inPlace) {
    if (request.host && !isOwnTag(request.host) && request.host.kind !== 'instance') {
      throw new InvalidInputError(
        `cluster ${cluster.id}: --in-place restores onto the cluster's own host (${ownTag.tagKey}=${ownTag.tagValue}); drop --host-tag or drop --in-place`,
      );
    }
    return request.host ?? { kind: 'tag', ...ownTag };
  }
  if (!request.host) {
    throw new InvalidInputError(
      `cluster ${cluster.id}: name the host to restore onto (--instance i-... or --host-tag key=value), or pass --in-place to restore over the cluster's own host`,
    );
  }
  if (isOwnTag(request.host)) {
    throw new InvalidInputError(
      `cluster ${cluster.id}: ${ownTag.tagKey}=${ownTag.tagValue} is the cluster's own host group; restoring there stops its server, so it needs --in-place`,
    );
  }
  return request.host;
}

/**
 * Resumes a failed job at its failed step (every step is idempotent; the moved-aside data directory is untouched).
 *
 * @throws InvalidInputError when the job does not exist; RestoreJobStateError when it is not failed.
 */
export async function resumeRestore(deps: RestoreDeps, cluster: ClusterConfig, jobId: string): Promise<Job> {
  const job = await deps.jobs.getById(cluster.id, jobId);
  if (!job) {
    throw new InvalidInputError(`cluster ${cluster.id}: no restore job ${jobId}; list them with walcat jobs`);
  }
  const resumed = resumeRestoreJob(job, deps.now());
  if (job.type === 'restore') await takeRestoreLock(deps, cluster.id, jobId);
  await deps.jobs.save(resumed, job.version);
  try {
    return await dispatchAndCatchUp(deps, resumed);
  } catch (error) {
    if (error instanceof JobConflictError) return (await deps.jobs.getById(cluster.id, jobId)) ?? resumed;
    throw error;
  }
}
