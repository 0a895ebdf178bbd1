import type { ClusterConfig, HostSettings } from '../domain/cluster.ts';
import type { Job } from '../domain/jobs/job.ts';
import { drillTarget } from '../domain/restore/drill-target.ts';
import { RestoreTargetUnreachableError } from '../domain/restore/restore-plan.ts';
import { describeThaw, ThawRequiredError } from '../domain/restore/restore-thaw.ts';
import { planClusterRestore } from './plan-restore.ts';
import type { RestoreDeps } from './restore-dependencies.ts';
import { startRestore } from './start-restore.ts';

export interface DrillDeps extends RestoreDeps {
  /** Uniform in [0, 1): picks the drill's point in time. */
  readonly random: () => number;
  readonly newJobId: () => string;
  /**
   * False for a door that cannot wait hours (the deployed scheduled drill: a Lambda invocation lasts minutes): a
   * drill that needs a thaw is refused there, naming `walcat drill`, which thaws and waits. Default true.
   */
  readonly waitForThaw?: boolean;
}

export type DrillOutcome =
  | { readonly kind: 'started'; readonly job: Job }
  | { readonly kind: 'not-configured' }
  | { readonly kind: 'skipped-running'; readonly job: Job }
  | { readonly kind: 'nothing-restorable'; readonly reason: string }
  /** The drill would read frozen objects and its config says `thaw: never`; the reason names them. */
  | { readonly kind: 'needs-thaw'; readonly reason: string };

/** How long a drill's thawed copies stay readable: the drill reads them within hours of the thaw. */
export const DRILL_THAW_DAYS = 1;
/** How often a drill waiting for a thaw looks at the pending objects (HeadObject each). */
export const DRILL_THAW_POLL_SECONDS = 60;

/**
 * The service a drill controls its copy with: its own when configured, else `pg_ctl` on the drill's data directory
 * (the cluster's `pg_ctl` binaries, or Debian's `/usr/lib/postgresql/<major>/bin` for a systemd cluster). Never the
 * cluster's own systemd unit: starting it would start the unit's data directory, not the drill's copy.
 */
export function drillService(
  clusterService: HostSettings['service'],
  drillOwn: HostSettings['service'] | undefined,
  pgVersion: number | undefined,
): HostSettings['service'] {
  if (drillOwn) return drillOwn;
  if (clusterService.kind === 'pg_ctl') return clusterService;
  const major = pgVersion === undefined ? 15 : Math.floor(pgVersion / 10000);
  return { kind: 'pg_ctl', binDir: `/usr/lib/postgresql/${major}/bin` };
}

/**
 * Starts the scheduled restore drill of one cluster: the newest backup, restored to a random point of its chain on
 * the scratch host found by the drill's tag, with pg_amcheck and the drill's SQL check. The job (kind `drill`) records every step
 * and, when verify finishes, the measured restore time (RTO) and the result; Slack hears when it fails or is ready
 * (advance-restore.ts). One drill at a time per cluster: a drill still running is left alone. A drill that reads
 * frozen objects thaws them first through the drill's `thaw` tier and waits (thawRestoreObjects), so its restore
 * time includes the thaw, as a real restore from the same objects would; `thaw: never` refuses it instead.
 */
export async function runRestoreDrill(deps: DrillDeps, cluster: ClusterConfig): Promise<DrillOutcome> {
  const drill = cluster.drill;
  if (!drill || !cluster.hosts) return { kind: 'not-configured' };
  const [last] = await deps.jobs.list(cluster.id, { types: ['drill'], limit: 1 });
  if (last?.state === 'running') return { kind: 'skipped-running', job: last };
  let target: ReturnType<typeof drillTarget>;
  let pgVersion: number | undefined;
  try {
    const latest = await planClusterRestore(deps, cluster, { kind: 'latest' }, deps.now());
    pgVersion = latest.baseBackup.pgVersion;
    target = drillTarget(latest, deps.random, cluster.walSegmentSize);
  } catch (error) {
    if (error instanceof RestoreTargetUnreachableError) return { kind: 'nothing-restorable', reason: error.message };
    throw error;
  }
  const started = await startRestore(deps, {
    cluster,
    target,
    host: { kind: 'tag', tagKey: drill.target.tagKey, tagValue: drill.target.tagValue },
    inPlace: false,
    type: 'drill',
    jobId: deps.newJobId(),
    hostOverrides: {
      pgData: drill.pgData,
      service: drillService(cluster.hosts.service, drill.service, pgVersion),
      ...(drill.walgEnvDir === undefined ? {} : { walgEnvDir: drill.walgEnvDir }),
    },
    replaceRestoredCopy: true,
    amcheck: true,
    ...(drill.checkSql === undefined ? {} : { checkSql: drill.checkSql }),
    ...(drill.settings === undefined ? {} : { extraSettings: drill.settings }),
    ...(drill.thaw === 'never' || deps.waitForThaw === false
      ? {}
      : { thaw: { tier: drill.thaw, days: DRILL_THAW_DAYS, pollSeconds: DRILL_THAW_POLL_SECONDS } }),
  }).catch((error: unknown) => {
    if (error instanceof ThawRequiredError) return error;
    throw error;
  });
  if (started instanceof ThawRequiredError) {
    const reason =
      drill.thaw === 'never'
        ? `${describeThaw(started.thaw)}; the drill's config says thaw: never (set drill.thaw to Standard, Bulk or Expedited to thaw them first)`
        : `${describeThaw(started.thaw)}; a scheduled drill cannot wait that long here: run walcat drill --cluster ${cluster.id}, which thaws them through ${drill.thaw} and waits`;
    return { kind: 'needs-thaw', reason: `cluster ${cluster.id}: ${reason}` };
  }
  return { kind: 'started', job: started.job };
}
