/**
 * The archiver probe: runs the read-only probe script on a cluster's hosts, waits briefly for it (one query), and
 * compares the primary's answer with the catalog: archive lag in bytes and segments, new archive_command failures
 * since the previous probe, and a segment the host archived that never reached the bucket.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import {
  type ArchiverAssessment,
  type ArchiverProbeResult,
  assessArchiverProbe,
  parseArchiverProbeData,
} from '../domain/host/archiver-probe.ts';
import { buildArchiverProbeScript } from '../domain/host/archiver-probe-script.ts';
import { isTerminalStatus } from '../domain/jobs/command-status.ts';
import { type Job, newJob } from '../domain/jobs/job.ts';
import { timelineId } from '../domain/wal/timeline.ts';
import { isWalFileName, parseWalFileName } from '../domain/wal/wal-segment.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import { applyUpdates, type HostJobReportDependencies, updateFromInvocation } from './apply-host-job-reports.ts';
import { type HostCommandDependencies, requireHosts } from './dispatch-backup.ts';

export const ARCHIVER_PROBE_TIMEOUT_SECONDS = 120;

export interface ProbeArchiverDependencies extends HostCommandDependencies, HostJobReportDependencies {
  readonly catalog: CatalogStore;
  /** Waits between polls (setTimeout in production, instant in tests). */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface ProbeArchiverInput {
  readonly cluster: ClusterConfig;
  readonly now: Date;
  /** How long to poll for the probe's answer before leaving the job to the tracker (default 60 s). */
  readonly waitMs?: number;
  readonly pollIntervalMs?: number;
}

export type ProbeArchiverOutcome =
  | { readonly kind: 'assessed'; readonly job: Job; readonly assessment: ArchiverAssessment }
  | { readonly kind: 'pending'; readonly job: Job }
  | { readonly kind: 'no-answer'; readonly job: Job; readonly reason: string };

export async function dispatchArchiverProbe(
  deps: HostCommandDependencies,
  cluster: ClusterConfig,
  now: Date,
): Promise<Job> {
  const hosts = requireHosts(cluster);
  const jobId = deps.newJobId();
  const { commandId } = await deps.transport.send({
    targets: hosts.target,
    script: buildArchiverProbeScript(hosts),
    timeoutSeconds: ARCHIVER_PROBE_TIMEOUT_SECONDS,
    comment: `walcat archiver-probe ${cluster.id} job ${jobId}`,
  });
  const job = newJob({ id: jobId, cluster: cluster.id, type: 'archiver-probe', commandId, now });
  await deps.jobs.create(job);
  return job;
}

export async function probeArchiver(
  deps: ProbeArchiverDependencies,
  input: ProbeArchiverInput,
): Promise<ProbeArchiverOutcome> {
  const { cluster, now } = input;
  const previous = await previousProbe(deps, cluster);
  let job = await dispatchArchiverProbe(deps, cluster, now);
  const deadline = input.waitMs ?? 60_000;
  const interval = input.pollIntervalMs ?? 2_000;
  for (let waited = 0; ; waited += interval) {
    const invocations = await deps.transport.listInvocations(job.commandId ?? '');
    if (invocations.length > 0 && invocations.every((invocation) => isTerminalStatus(invocation.status))) {
      const updates = invocations.map((invocation) => updateFromInvocation(invocation, now));
      const aggregate = invocations.some((i) => i.status === 'TimedOut')
        ? 'TimedOut'
        : invocations.every((i) => i.status === 'Success')
          ? 'Success'
          : 'Failed';
      const outcome = await applyUpdates(deps, job, [
        ...updates,
        { commandId: job.commandId ?? '', status: aggregate, at: now },
      ]);
      if (outcome.kind === 'applied') job = outcome.job;
      break;
    }
    if (waited >= deadline) return { kind: 'pending', job };
    await deps.sleep(interval);
  }
  if (job.state !== 'success') {
    return { kind: 'no-answer', job, reason: job.outcome ?? `archiver probe ended ${job.state}` };
  }
  const probe = parseArchiverProbeData(job.resultData);
  return { kind: 'assessed', job, assessment: await assess(deps.catalog, cluster, probe, previous, now) };
}

async function previousProbe(
  deps: ProbeArchiverDependencies,
  cluster: ClusterConfig,
): Promise<ArchiverProbeResult | undefined> {
  const recent = await deps.jobs.list(cluster.id, { states: ['success'], types: ['archiver-probe'], limit: 20 });
  const last = recent.find((job) => job.resultData !== undefined);
  if (last === undefined) return undefined;
  try {
    return parseArchiverProbeData(last.resultData);
  } catch {
    return undefined;
  }
}

/** Compares a probe with the catalog. */
export async function assess(
  catalog: CatalogStore,
  cluster: ClusterConfig,
  probe: ArchiverProbeResult,
  previous: ArchiverProbeResult | undefined,
  now: Date,
): Promise<ArchiverAssessment> {
  const archived =
    probe.lastArchivedWal !== undefined && isWalFileName(probe.lastArchivedWal)
      ? parseWalFileName(probe.lastArchivedWal, cluster.walSegmentSize)
      : undefined;
  const timeline = probe.timeline ?? archived?.timeline;
  const headRecord = timeline === undefined ? undefined : await catalog.latestWalObject(cluster.id, timeline);
  let lastArchivedInCatalog: boolean | undefined;
  if (archived !== undefined) {
    lastArchivedInCatalog = false;
    for await (const record of catalog.listWalObjects(cluster.id, archived.timeline, {
      fromSegNo: archived.segNo,
      toSegNo: archived.segNo,
    })) {
      if (!record.deleted) lastArchivedInCatalog = true;
    }
  }
  return assessArchiverProbe({
    probe,
    ...(previous ? { previous } : {}),
    timeline: timeline ?? timelineId(1),
    ...(headRecord?.segNo !== undefined
      ? { head: { timeline: headRecord.timeline, segNo: headRecord.segNo, uploadedAt: headRecord.uploadedAt } }
      : {}),
    segmentSize: cluster.walSegmentSize,
    ...(lastArchivedInCatalog === undefined ? {} : { lastArchivedInCatalog }),
    now,
    uploadGraceMs: cluster.alerts.uploadGraceMs,
    archiveLagMaxMs: cluster.alerts.archiveLagMaxMs,
  });
}
