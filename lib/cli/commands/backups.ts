import { backupsWithClusterChecks } from '../../domain/catalog/backup-eligibility.ts';
import { type BackupJson, backupJson } from '../../domain/catalog/catalog-views.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { type CliCommand, type CliContext, EXIT_OK } from '../cli-command.ts';
import { formatBytes, renderTable } from '../render-table.ts';

/**
 * `walcat backups`: base backups, oldest first by the times in their metadata. Backups whose sentinel is gone
 * (deleted by hand or expired by retention) show only with `--all`. `--json` prints the contract's array, each
 * item with an added `cluster` (and `problem` for an unreadable sentinel).
 */
export function backupsCommand(deps: { readonly catalog: () => CatalogStore }): CliCommand {
  return {
    name: 'backups',
    summary: 'base backups, oldest first',
    usage: 'walcat backups [--cluster ID] [--json] [--all]',
    options: { all: { type: 'boolean' } },
    async run(context: CliContext): Promise<number> {
      const rows: BackupJson[] = [];
      for (const cluster of context.clusters) {
        // A backup of another database system shows as unreadable with a foreign-system problem.
        for (const record of backupsWithClusterChecks(await deps.catalog().listBackups(cluster.id))) {
          if (context.options.all !== true && (record.status === 'deleted' || record.status === 'expired')) continue;
          rows.push(backupJson(record, cluster.walSegmentSize));
        }
      }
      if (context.json) {
        context.stdout(JSON.stringify(rows));
        return EXIT_OK;
      }
      if (rows.length === 0) {
        context.stdout('no base backups in the catalog (run `walcat sync` if the bucket has some)');
        return EXIT_OK;
      }
      context.stdout(
        renderTable(
          [
            ...(context.clusters.length > 1 ? [{ header: 'CLUSTER', value: (b: BackupJson) => b.cluster }] : []),
            { header: 'NAME', value: (b: BackupJson) => b.name },
            { header: 'KIND', value: (b) => b.kind },
            { header: 'STATUS', value: (b) => b.status },
            { header: 'FINISHED (UTC)', value: (b) => b.finishTime?.replace('T', ' ').replace(/\.\d+Z$/, 'Z') },
            { header: 'TL', value: (b) => b.timeline },
            { header: 'START LSN', value: (b) => b.startLsn },
            { header: 'FINISH LSN', value: (b) => b.finishLsn },
            { header: 'SIZE', value: (b) => formatBytes(b.uncompressedSize), align: 'right' },
            { header: 'STORED', value: (b) => formatBytes(b.compressedSize), align: 'right' },
            { header: 'PERMANENT', value: (b) => (b.permanent ? 'yes' : '') },
            { header: 'PROBLEM', value: (b) => b.problem },
          ],
          rows,
        ),
      );
      return EXIT_OK;
    },
  };
}
