/**
 * What the archiver probe tells the watchdog: the primary's live WAL position (segments written but not yet archived
 * show as `delayed`, as WAL-G's wal-verify reports them) and the probe's findings (archive_command failing, WAL the
 * host archived that never reached the bucket). Read from the probe jobs the scheduled probe stores; a probe older
 * than `maxAgeMs` is ignored, so a silent probe never vouches for the present.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import type { LivePosition } from '../domain/continuity/continuity-input.ts';
import { type ArchiverFinding, parseArchiverProbeData } from '../domain/host/archiver-probe.ts';
import type { CatalogStore } from '../ports/catalog-store.ts';
import type { JobStore } from '../ports/job-store.ts';
import { assess } from './probe-archiver.ts';

export interface ArchiverSignal {
  readonly livePosition?: LivePosition;
  readonly findings: readonly ArchiverFinding[];
  readonly probedAt: Date;
}

/** The probe runs every 5 minutes; three missed runs and its answer no longer describes the primary. */
export const ARCHIVER_SIGNAL_MAX_AGE_MS = 15 * 60_000;

/** The signal of the newest successful probe of a cluster, assessed against the catalog now; undefined if none. */
export async function latestArchiverSignal(
  deps: { readonly jobs: Pick<JobStore, 'list'>; readonly catalog: CatalogStore },
  cluster: ClusterConfig,
  now: Date,
  maxAgeMs: number = ARCHIVER_SIGNAL_MAX_AGE_MS,
): Promise<ArchiverSignal | undefined> {
  const recent = await deps.jobs.list(cluster.id, { states: ['success'], types: ['archiver-probe'], limit: 20 });
  const probes = recent.filter((job) => job.resultData !== undefined);
  const [latest, previous] = probes;
  const probedAt = latest?.finishedAt ?? latest?.lastUpdateAt;
  if (latest === undefined || probedAt === undefined || now.getTime() - probedAt.getTime() > maxAgeMs) {
    return undefined;
  }
  const probe = parseArchiverProbeData(latest.resultData);
  const before = previous === undefined ? undefined : parseArchiverProbeData(previous.resultData);
  const assessment = await assess(deps.catalog, cluster, probe, before, now);
  const livePosition =
    probe.currentLsn !== undefined && probe.timeline !== undefined && !probe.inRecovery
      ? { timeline: probe.timeline, lsn: probe.currentLsn }
      : undefined;
  return { ...(livePosition ? { livePosition } : {}), findings: assessment.findings, probedAt };
}
