import { InvalidInputError } from '../../domain/errors.ts';
import { type Job, restorePayload } from '../../domain/jobs/job.ts';
import { formatDuration, renderRestoreStatus, restoreStatusJson } from '../../domain/restore/restore-report.ts';
import { restoreStepStatusWord } from '../../domain/restore/restore-status-words.ts';
import { type DrillDeps, runRestoreDrill } from '../../use-cases/run-restore-drill.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { singleCluster } from './restore-plan.ts';

export interface DrillCommandDependencies {
  /** What the scheduled drill function takes: catalog, restore jobs, transport, instances, notifier. */
  readonly drill: () => DrillDeps;
  /** How long to wait between looks at the job (default 1 s). */
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** One stderr line per step that changed status since the last look, so a person sees the drill move. */
function reportProgress(job: Job, seen: Map<string, string>, stderr: (text: string) => void): void {
  for (const step of job.steps) {
    const status = restoreStepStatusWord(step.state);
    if (seen.get(step.name) === status) continue;
    seen.set(step.name, status);
    if (status === 'pending') continue;
    const took = step.durationMs === undefined ? '' : ` in ${formatDuration(step.durationMs)}`;
    stderr(`walcat: drill ${job.id}: ${step.name} ${status}${took}`);
  }
}

/**
 * `walcat drill --cluster ID`: starts the cluster's restore drill now, exactly as its schedule does (the same use
 * case as the restore-drill function: the newest backup, a random point of its chain, onto the `drill.target` host,
 * into `drill.pgData`, with pg_amcheck and `drill.checkSql`), then follows the job until it ends; the restore
 * orchestrator moves it step by step on the host's status events. A drill already running is followed instead of
 * starting a second. `--json` prints the final `restore status --json` document of the drill's job. Exit 1 when the
 * drill failed or nothing can be restored yet.
 */
export function drillCommand(deps: DrillCommandDependencies): CliCommand {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    name: 'drill',
    summary: 'run a restore drill now and follow it to its end: walcat drill --cluster ID',
    usage: 'walcat drill --cluster ID [--json]',
    async run(context: CliContext): Promise<number> {
      const cluster = singleCluster(context, 'drill');
      if (!cluster.drill) {
        throw new InvalidInputError(
          `cluster ${cluster.id} has no drill: block in the config; add clusters[].drill (schedule, target, pgData) to name the scratch host a drill restores onto`,
        );
      }
      const drillDeps = deps.drill();
      const outcome = await runRestoreDrill(drillDeps, cluster);
      if (outcome.kind === 'not-configured') {
        throw new InvalidInputError(
          `cluster ${cluster.id}: a drill needs clusters[].hosts (pgData, osUser, service) as well as drill:`,
        );
      }
      if (outcome.kind === 'nothing-restorable' || outcome.kind === 'needs-thaw') {
        context.stderr(`walcat: drill refused: ${outcome.reason}`);
        if (context.json) context.stdout(JSON.stringify({ error: outcome.reason }));
        return EXIT_BAD_NEWS;
      }
      let job = outcome.job;
      context.stderr(
        outcome.kind === 'skipped-running'
          ? `walcat: drill ${job.id} of ${cluster.id} is already running; following it`
          : `walcat: drill ${job.id} of ${cluster.id} started: ${restorePayload(job).request.baseBackup} into ${restorePayload(job).request.hostSettings.pgData}`,
      );
      const seen = new Map<string, string>();
      while (job.state === 'running') {
        reportProgress(job, seen, context.stderr);
        await sleep(deps.pollMs ?? 1000);
        job = (await drillDeps.jobs.getById(cluster.id, job.id)) ?? job;
      }
      reportProgress(job, seen, context.stderr);
      context.stdout(context.json ? JSON.stringify(restoreStatusJson(job)) : renderRestoreStatus(job, new Date()));
      return job.state === 'success' ? EXIT_OK : EXIT_BAD_NEWS;
    },
  };
}
