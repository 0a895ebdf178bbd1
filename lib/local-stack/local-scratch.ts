/**
 * Where restores and drills of the local stack land: a scratch "host" on this same machine (instance
 * `i-local-scratch`, tagged `walcat:scratch=demo`), whose data directories are inside the stack folder and never the
 * demo primary's. `walcat --local restore start` restores into `restores/<job id>`, the demo drill into `drill/demo`;
 * each copy gets its own port, socket folder (`<data>.walcat-run`) and log, as any copy in another data directory does.
 *
 * The copies' postmasters are started by the restore steps' `pg_ctl`, so they are not children of the stack: the
 * stack stops them itself when it stops (Ctrl-C), and at start stops any a killed stack left running.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { giveToPostgresUser } from './postgres-os-user.ts';
import { postmasterPid, postmasterRunning, stopPostmaster } from './postgres-server.ts';

/** The instance id of this machine as the demo cluster's scratch host (restores and drills). */
export const LOCAL_SCRATCH_INSTANCE_ID = 'i-local-scratch';
/** The tag the demo config's drill targets, carried by the scratch instance. */
export const LOCAL_SCRATCH_TAG = { tagKey: 'walcat:scratch', tagValue: 'demo' } as const;

export interface LocalScratchPaths {
  /** `walcat --local restore start` restores into `<restoresDir>/<job id>`. */
  readonly restoresDir: string;
  readonly drillDir: string;
  /** The demo drill's data directory (the config's `drill.pgData`). */
  readonly drillPgData: string;
}

export function localScratchPaths(dir: string): LocalScratchPaths {
  const restoresDir = join(dir, 'restores');
  const drillDir = join(dir, 'drill');
  return { restoresDir, drillDir, drillPgData: join(drillDir, 'demo') };
}

/** Creates the scratch folders, owned by the OS user PostgreSQL runs as (the restore steps create copies in them). */
export function prepareScratchFolders(dir: string): LocalScratchPaths {
  const paths = localScratchPaths(dir);
  for (const folder of [paths.restoresDir, paths.drillDir]) {
    mkdirSync(folder, { recursive: true });
    giveToPostgresUser(folder, 0o755);
  }
  return paths;
}

/** The data directories under the scratch folders that have a `postmaster.pid` (a copy running, or left so). */
function copiesWithPostmaster(dir: string): string[] {
  const paths = localScratchPaths(dir);
  const found: string[] = [];
  for (const folder of [paths.restoresDir, paths.drillDir]) {
    if (!existsSync(folder)) continue;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dataDir = join(folder, entry.name);
      if (postmasterPid(dataDir) !== undefined) found.push(dataDir);
    }
  }
  return found;
}

/**
 * Stops every restored copy's postmaster under the stack folder's scratch folders (`pg_ctl stop -m fast`, then
 * immediate if that did not end it) and returns the data directories it stopped. Only data directories inside the
 * stack's own `restores/` and `drill/` are ever addressed.
 */
export async function stopScratchCopies(dir: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const dataDir of copiesWithPostmaster(dir)) {
    if (!(await postmasterRunning(dataDir))) continue;
    await stopPostmaster(dataDir);
    stopped.push(dataDir);
  }
  return stopped;
}
