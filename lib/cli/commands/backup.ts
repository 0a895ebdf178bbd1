import { dispatchBackup, type HostCommandDependencies } from '../../use-cases/dispatch-backup.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK, EXIT_USAGE } from '../cli-command.ts';

/** What `walcat backup` needs, built lazily by the CLI's composition root. */
export interface BackupCommandDependencies {
  readonly hostCommands: () => HostCommandDependencies;
}

/**
 * `walcat backup --cluster C [--permanent]`: dispatches a backup-push to the cluster's hosts now (the primary
 * pushes, standbys skip). Refused while another backup of the cluster runs: exit 1 with the running job named.
 * `--json` prints `{ cluster, dispatched, job, commandId }` or `{ cluster, dispatched: false, runningJob, error }`.
 */
export function backupCommand(deps: BackupCommandDependencies): CliCommand {
  return {
    name: 'backup',
    summary: 'dispatch a backup-push on the cluster primary now',
    usage: 'walcat backup --cluster ID [--permanent] [--json]',
    options: { permanent: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const [cluster, ...others] = context.clusters;
      if (cluster === undefined || others.length > 0) {
        context.stderr('walcat: backup needs exactly one cluster: --cluster ID');
        return EXIT_USAGE;
      }
      const outcome = await dispatchBackup(deps.hostCommands(), {
        cluster,
        now: context.now,
        permanent: context.options.permanent === true,
        requestedBy: 'cli',
      });
      if (outcome.kind === 'refused') {
        if (context.json) {
          context.stdout(
            JSON.stringify({
              cluster: cluster.id,
              dispatched: false,
              runningJob: outcome.runningJobId,
              error: outcome.reason,
            }),
          );
        }
        context.stderr(`walcat: ${outcome.reason}`);
        return EXIT_BAD_NEWS;
      }
      const { job } = outcome;
      if (context.json) {
        context.stdout(
          JSON.stringify({ cluster: cluster.id, dispatched: true, job: job.id, commandId: job.commandId }),
        );
      } else {
        context.stdout(
          `backup-push dispatched to ${cluster.id}: job ${job.id}, SSM command ${job.commandId}; follow it with walcat jobs --cluster ${cluster.id}`,
        );
      }
      return EXIT_OK;
    },
  };
}
