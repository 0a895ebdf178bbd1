import { InvalidInputError } from '../../domain/errors.ts';
import type { Job } from '../../domain/jobs/job.ts';
import { renderRestoreStatus, restoreStatusJson } from '../../domain/restore/restore-report.ts';
import type { JobStore } from '../../ports/job-store.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';

export interface RestoreStatusCommandDependencies {
  readonly jobs: () => Pick<JobStore, 'getById'>;
}

/** Finds a job among the selected clusters (`--cluster` narrows the search). */
export async function findRestoreJob(
  jobs: Pick<JobStore, 'getById'>,
  context: CliContext,
  jobId: string,
): Promise<Job> {
  for (const cluster of context.clusters) {
    const job = await jobs.getById(cluster.id, jobId);
    if (job) return job;
  }
  throw new InvalidInputError(
    `no restore job ${JSON.stringify(jobId)} in ${context.clusters.map((c) => c.id).join(', ') || 'any configured cluster'}; list recent jobs with walcat jobs`,
  );
}

/**
 * `walcat restore status JOB`: the job's steps with their status and duration, the failure with the host's stderr
 * tail, or the outcome (timeline, last replayed commit, restore time). `--json` prints the job document. Exit 1 when
 * the job failed.
 */
export function restoreStatusCommand(deps: RestoreStatusCommandDependencies): CliCommand {
  return {
    name: 'restore status',
    summary: 'steps of a restore job with durations: walcat restore status JOB',
    usage: 'walcat restore status JOB [--cluster ID] [--json]',
    async run(context: CliContext): Promise<number> {
      const [jobId] = context.positionals;
      if (jobId === undefined)
        throw new InvalidInputError(
          'walcat restore status: name the job, e.g. walcat restore status r-20261120t143100z-k3x9qa',
        );
      const job = await findRestoreJob(deps.jobs(), context, jobId);
      context.stdout(context.json ? JSON.stringify(restoreStatusJson(job)) : renderRestoreStatus(job, context.now));
      return job.state === 'failed' ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}
