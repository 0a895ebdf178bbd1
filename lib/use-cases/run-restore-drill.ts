import type { ClusterConfig } from '../domain/cluster.ts';
import { drillTarget } from '../domain/restore/drill-target.ts';
import type { RestoreJob } from '../domain/restore/restore-job.ts';
import { RestoreTargetUnreachableError } from '../domain/restore/restore-plan.ts';
import { planClusterRestore } from './plan-restore.ts';
import type { RestoreDeps } from './restore-dependencies.ts';
import { startRestore } from './start-restore.ts';

export interface DrillDeps extends RestoreDeps {
  /** Uniform in [0, 1): picks the drill's point in time. */
  readonly random: () => number;
  readonly newJobId: () => string;
}

export type DrillOutcome =
  | { readonly kind: 'started'; readonly job: RestoreJob }
  | { readonly kind: 'not-configured' }
  | { readonly kind: 'skipped-running'; readonly job: RestoreJob }
  | { readonly kind: 'nothing-restorable'; readonly reason: string };

/**
 * Starts the scheduled restore drill of one cluster: the newest backup, restored to a random point of its chain on
 * the scratch host found by the drill's tag, with the drill's SQL check. The job (kind `drill`) records every step
 * and, when verify finishes, the measured restore time (RTO) and the result; Slack hears when it fails or is ready
 * (advance-restore.ts). One drill at a time per cluster: a drill still running is left alone.
 */
export async function runRestoreDrill(deps: DrillDeps, cluster: ClusterConfig): Promise<DrillOutcome> {
  const drill = cluster.drill;
  if (!drill || !cluster.hosts) return { kind: 'not-configured' };
  const [last] = await deps.jobs.list(cluster.id, { kind: 'drill', limit: 1 });
  if (last?.status === 'running') return { kind: 'skipped-running', job: last };
  let target: ReturnType<typeof drillTarget>;
  try {
    target = drillTarget(
      await planClusterRestore(deps, cluster, { kind: 'latest' }, deps.now()),
      deps.random,
      cluster.walSegmentSize,
    );
  } catch (error) {
    if (error instanceof RestoreTargetUnreachableError) return { kind: 'nothing-restorable', reason: error.message };
    throw error;
  }
  const { job } = await startRestore(deps, {
    cluster,
    target,
    host: { kind: 'tag', tagKey: drill.target.tagKey, tagValue: drill.target.tagValue },
    inPlace: false,
    kind: 'drill',
    jobId: deps.newJobId(),
    hostOverrides: { pgData: drill.pgData },
    replaceRestoredCopy: true,
    ...(drill.checkSql === undefined ? {} : { checkSql: drill.checkSql }),
    ...(drill.settings === undefined ? {} : { extraSettings: drill.settings }),
  });
  return { kind: 'started', job };
}
