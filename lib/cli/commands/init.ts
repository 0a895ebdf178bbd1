import type { CatalogStore } from '../../ports/catalog-store.ts';
import { type CliCommand, type CliContext, EXIT_OK } from '../cli-command.ts';

/** `walcat init`: creates the catalog table when it does not exist (idempotent). */
export function initCommand(deps: { readonly catalog: () => CatalogStore }): CliCommand {
  return {
    name: 'init',
    summary: 'create the catalog table if it does not exist',
    usage: 'walcat init [--json]',
    async run(context: CliContext): Promise<number> {
      await deps.catalog().ensureTable();
      if (context.json) context.stdout(JSON.stringify({ table: context.config.catalogTable, ready: true }));
      else context.stdout(`catalog table ${context.config.catalogTable} is ready`);
      return EXIT_OK;
    },
  };
}
