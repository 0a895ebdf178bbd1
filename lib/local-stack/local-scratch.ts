/**
 * Where restores and drills of the local stack land: a scratch "host" on this same machine (instance
 * `i-local-scratch`, tagged `walcat:scratch=demo`), whose data directories are inside the stack folder and never the
 * demo primary's. `walcat --local restore start` restores into `restores/<job id>`, the demo drill into `drill/demo`;
 * each copy gets its own port, socket folder (`<data>.walcat-run`) and log, as any copy in another data directory does.
 *
 * The copies' postmasters are started by the restore steps' `pg_ctl`, so they are not children of the stack: the
 * stack stops them itself when it stops (Ctrl-C), and at start stops any a killed stack left running.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
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

/**
 * How many earlier drill copies the local stack keeps beside the current one (`drill/demo.walcat-<job>`, moved aside
 * by each drill's move-aside step): enough to compare the last few drills, bounded so a stack left running for
 * weeks does not fill the disk with a copy per drill.
 */
export const LOCAL_DRILL_COPIES_KEPT = 3;

/** `<name>.walcat-<job id>`: a copy moved aside; not the run folder nor a half-fetched staging directory. */
const MOVED_ASIDE = /^(.+)\.walcat-([a-z0-9][a-z0-9-]*)$/;

/**
 * Removes the oldest moved-aside drill copies beyond the newest `keep`, and returns what it removed. Only a folder
 * that proves to be an earlier restored copy is ever removed: directly inside the stack's `drill/`, named
 * `<drill data dir>.walcat-<job id>`, holding the `.walcat-restore-*` marker the restore wrote into it, with no
 * `postmaster.pid`, and never the drill's current data directory or `protect` (the demo primary's). Age is the
 * marker's: when that copy was restored. Everything else in the folder is left alone.
 *
 * @example pruneDrillCopies('.walcat-local', { protect: ['.walcat-local/pg/data'] }) // ['/…/drill/demo.walcat-drill-20261120-1030-ab12']
 */
export function pruneDrillCopies(
  dir: string,
  options: { readonly keep?: number; readonly protect?: readonly string[] } = {},
): string[] {
  const paths = localScratchPaths(dir);
  const drillDir = resolve(paths.drillDir);
  if (!existsSync(drillDir)) return [];
  const current = resolve(paths.drillPgData);
  const protect = new Set([current, ...(options.protect ?? []).map((path) => resolve(path))]);
  const currentName = current.slice(drillDir.length + 1);
  const copies: Array<{ path: string; restoredAtMs: number }> = [];
  for (const entry of readdirSync(drillDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.isSymbolicLink()) continue;
    const match = MOVED_ASIDE.exec(entry.name);
    if (match === null || match[1] !== currentName || match[2] === 'run') continue;
    const path = join(drillDir, entry.name);
    if (protect.has(path) || !path.startsWith(`${drillDir}${sep}`)) continue;
    if (postmasterPid(path) !== undefined) continue;
    const markers = readdirSync(path).filter((name) => name.startsWith('.walcat-restore-'));
    if (markers.length === 0) continue;
    const restoredAtMs = Math.max(...markers.map((name) => statSync(join(path, name)).mtimeMs));
    copies.push({ path, restoredAtMs });
  }
  copies.sort((a, b) => b.restoredAtMs - a.restoredAtMs || b.path.localeCompare(a.path));
  const removed: string[] = [];
  for (const copy of copies.slice(options.keep ?? LOCAL_DRILL_COPIES_KEPT)) {
    rmSync(copy.path, { recursive: true, force: true });
    removed.push(copy.path);
  }
  return removed;
}
