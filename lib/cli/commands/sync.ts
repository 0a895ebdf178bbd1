import type { BucketInspector } from '../../ports/bucket-inspector.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import type { ObjectStore } from '../../ports/object-store.ts';
import type { DecompressText } from '../../use-cases/catalog-effects.ts';
import { type SyncOutcome, type SyncProgress, syncCatalog } from '../../use-cases/sync-catalog.ts';
import { type CliCommand, type CliContext, EXIT_OK, EXIT_USAGE } from '../cli-command.ts';
import { renderTable } from '../render-table.ts';

export interface SyncCommandDependencies {
  readonly catalog: () => CatalogStore;
  readonly objectStore: () => ObjectStore;
  readonly decompress: DecompressText;
  /** Reads the bucket's lifecycle rules, versioning and Object Lock, stored for status, gaps and the watchdog. */
  readonly inspector?: () => BucketInspector;
}

/** Progress lines on stderr: each phase, then every 10,000 listed objects. */
function progressReporter(cluster: string, stderr: (text: string) => void): (progress: SyncProgress) => void {
  let reported = 0;
  return (progress) => {
    if (progress.phase === 'catalog') stderr(`${cluster}: reading the catalog`);
    else if (progress.phase === 'applying') stderr(`${cluster}: applying ${progress.changes} changes`);
    else if (progress.listed - reported >= 10_000) {
      reported = progress.listed;
      stderr(
        `${cluster}: listed ${progress.listed} objects (${progress.pendingRanges} ranges pending, ${progress.requests} requests)`,
      );
    }
  };
}

/** `walcat sync`: lists each selected cluster's storage and reconciles the catalog with it. */
export function syncCommand(deps: SyncCommandDependencies): CliCommand {
  return {
    name: 'sync',
    summary: "list the cluster's storage and reconcile the catalog with it",
    usage: 'walcat sync [--cluster ID] [--json] [--concurrency N]',
    options: { concurrency: { type: 'string' } },
    async run(context: CliContext): Promise<number> {
      const concurrency = context.options.concurrency === undefined ? 16 : Number(context.options.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 256) {
        context.stderr(
          `walcat: --concurrency ${String(context.options.concurrency)} is not an integer from 1 to 256; use e.g. --concurrency 16`,
        );
        return EXIT_USAGE;
      }
      const outcomes: SyncOutcome[] = [];
      for (const cluster of context.clusters) {
        const started = Date.now();
        const outcome = await syncCatalog(
          {
            catalog: deps.catalog(),
            objects: deps.objectStore(),
            decompress: deps.decompress,
            ...(deps.inspector === undefined ? {} : { bucket: deps.inspector() }),
          },
          cluster,
          { now: context.now, concurrency, onProgress: progressReporter(cluster.id, context.stderr) },
        );
        context.stderr(
          `${cluster.id}: synced ${outcome.listed} objects in ${((Date.now() - started) / 1000).toFixed(1)} s`,
        );
        outcomes.push(outcome);
      }
      if (context.json) {
        context.stdout(JSON.stringify(outcomes));
      } else {
        context.stdout(
          renderTable(
            [
              { header: 'CLUSTER', value: (o: SyncOutcome) => o.cluster },
              { header: 'LISTED', value: (o) => o.listed },
              { header: 'ADDED', value: (o) => o.added },
              { header: 'UPDATED', value: (o) => o.updated },
              { header: 'MARKED GONE', value: (o) => o.removed },
              { header: 'DOCS READ', value: (o) => o.backupDocumentsRead },
              { header: 'IGNORED', value: (o) => o.ignored },
            ],
            outcomes,
          ),
        );
      }
      return EXIT_OK;
    },
  };
}
