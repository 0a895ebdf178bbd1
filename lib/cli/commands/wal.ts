import type { WalObjectRecord } from '../../domain/catalog/catalog-records.ts';
import { type WalTimelineJson, walTimelineJson } from '../../domain/catalog/catalog-views.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import { type CliCommand, type CliContext, EXIT_OK } from '../cli-command.ts';
import { formatBytes, renderTable } from '../render-table.ts';

/**
 * `walcat wal`: per timeline, the first and last WAL segment, how many segments and how many bytes the archive
 * holds. `--json` prints the contract's array, each item with an added `cluster`.
 */
export function walCommand(deps: { readonly catalog: () => CatalogStore }): CliCommand {
  return {
    name: 'wal',
    summary: 'WAL per timeline: first and last segment, count, bytes',
    usage: 'walcat wal [--cluster ID] [--json]',
    async run(context: CliContext): Promise<number> {
      const rows: WalTimelineJson[] = [];
      for (const cluster of context.clusters) {
        const catalog = deps.catalog();
        for (const timeline of await catalog.listTimelines(cluster.id)) {
          const records: WalObjectRecord[] = [];
          for await (const record of catalog.listWalObjects(cluster.id, timeline)) records.push(record);
          const row = walTimelineJson(cluster.id, timeline, records, cluster.walSegmentSize);
          if (row) rows.push(row);
        }
      }
      if (context.json) {
        context.stdout(JSON.stringify(rows));
        return EXIT_OK;
      }
      if (rows.length === 0) {
        context.stdout('no WAL in the catalog (run `walcat sync` if the bucket has some)');
        return EXIT_OK;
      }
      context.stdout(
        renderTable(
          [
            ...(context.clusters.length > 1 ? [{ header: 'CLUSTER', value: (r: WalTimelineJson) => r.cluster }] : []),
            { header: 'TL', value: (r: WalTimelineJson) => r.timeline },
            { header: 'FIRST SEGMENT', value: (r) => r.firstSegment },
            { header: 'LAST SEGMENT', value: (r) => r.lastSegment },
            { header: 'SEGMENTS', value: (r) => r.segments },
            { header: 'BYTES', value: (r) => formatBytes(r.bytes), align: 'right' },
          ],
          rows,
        ),
      );
      return EXIT_OK;
    },
  };
}
