import type { CatalogStore } from '../../ports/catalog-store.ts';
import type { JobBackfillCount, JobLifetimeBackfill } from '../../ports/job-store.ts';
import { type CliCommand, type CliContext, EXIT_OK } from '../cli-command.ts';

export interface InitCommandDependencies {
  readonly catalog: () => CatalogStore;
  /** Brings jobs an older walcat stored up to the current shape (the active-job index key, a TTL once ended). */
  readonly jobs: () => JobLifetimeBackfill;
}

/**
 * `walcat init`: creates the catalog table when it does not exist, or brings one an older walcat made up to date
 * (its indexes, TTL, and the jobs it stored without the active-job key or an expiry). Idempotent: a second run
 * changes nothing.
 */
export function initCommand(deps: InitCommandDependencies): CliCommand {
  return {
    name: 'init',
    summary: 'create the catalog table, or bring an older one up to date (idempotent)',
    usage: 'walcat init [--cluster ID] [--json]',
    async run(context: CliContext): Promise<number> {
      await deps.catalog().ensureTable();
      const counts: JobBackfillCount[] = [];
      for (const cluster of context.clusters) counts.push(await deps.jobs().backfillLifetimes(cluster.id));
      const backfilled = {
        active: counts.reduce((sum, count) => sum + count.active, 0),
        expiring: counts.reduce((sum, count) => sum + count.expiring, 0),
        lookups: counts.reduce((sum, count) => sum + count.lookups, 0),
      };
      if (context.json) {
        context.stdout(JSON.stringify({ table: context.config.catalogTable, ready: true, jobsBackfilled: backfilled }));
        return EXIT_OK;
      }
      context.stdout(`catalog table ${context.config.catalogTable} is ready`);
      if (backfilled.active + backfilled.expiring > 0) {
        context.stdout(
          `jobs from an older walcat: ${backfilled.active} active now indexed, ${backfilled.expiring} ended now expiring (and ${backfilled.lookups} of their lookups)`,
        );
      }
      return EXIT_OK;
    },
  };
}
