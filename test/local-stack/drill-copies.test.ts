/**
 * Each local drill moves the previous copy aside (`drill/demo.walcat-<job>`); the stack keeps the newest few and
 * removes older ones, and only folders that prove to be earlier restored copies.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_DRILL_COPIES_KEPT, pruneDrillCopies } from '../../lib/local-stack/local-scratch.ts';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A folder under `drill/`, with the restore marker of `markerJob` restored `ageMinutes` ago (none when undefined). */
function copy(name: string, markerJob: string | undefined, ageMinutes = 0, files: Record<string, string> = {}): void {
  const path = join(dir, 'drill', name);
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'PG_VERSION'), '15\n');
  for (const [file, text] of Object.entries(files)) writeFileSync(join(path, file), text);
  if (markerJob === undefined) return;
  const marker = join(path, `.walcat-restore-${markerJob}`);
  writeFileSync(marker, '');
  const at = new Date(Date.now() - ageMinutes * 60_000);
  utimesSync(marker, at, at);
}

describe('pruneDrillCopies', () => {
  it(`keeps the current copy and the newest ${LOCAL_DRILL_COPIES_KEPT} moved aside, removing older ones`, () => {
    dir = mkdtempSync(join(tmpdir(), 'walcat-drill-copies-'));
    copy('demo', 'drill-6', 0);
    for (let n = 1; n <= 5; n++) copy(`demo.walcat-drill-${n + 1}`, `drill-${n}`, 60 * (6 - n));
    const removed = pruneDrillCopies(dir);
    expect(removed.map((path) => path.split('/').at(-1))).toEqual(['demo.walcat-drill-3', 'demo.walcat-drill-2']);
    expect(readdirSync(join(dir, 'drill')).sort()).toEqual([
      'demo',
      'demo.walcat-drill-4',
      'demo.walcat-drill-5',
      'demo.walcat-drill-6',
    ]);
  });

  it('never removes what it cannot prove is an earlier restored copy, nor a protected or running directory', () => {
    dir = mkdtempSync(join(tmpdir(), 'walcat-drill-copies-'));
    copy('demo', 'drill-9', 0);
    copy('demo.walcat-run', 'drill-0', 900);
    copy('demo.walcat-drill-9.fetching', 'drill-0', 900);
    copy('demo.walcat-unmarked', undefined);
    copy('demo.walcat-running', 'drill-1', 800, { 'postmaster.pid': '4242\n' });
    copy('other.walcat-drill-2', 'drill-2', 700);
    for (let n = 3; n <= 8; n++) copy(`demo.walcat-drill-${n}`, `drill-${n}`, 100 - n);
    const protectedCopy = join(dir, 'drill', 'demo.walcat-drill-3');
    const removed = pruneDrillCopies(dir, { keep: 1, protect: [protectedCopy] });
    expect(removed.map((path) => path.split('/').at(-1)).sort()).toEqual([
      'demo.walcat-drill-4',
      'demo.walcat-drill-5',
      'demo.walcat-drill-6',
      'demo.walcat-drill-7',
    ]);
    expect(readdirSync(join(dir, 'drill')).sort()).toEqual([
      'demo',
      'demo.walcat-drill-3',
      'demo.walcat-drill-8',
      'demo.walcat-drill-9.fetching',
      'demo.walcat-run',
      'demo.walcat-running',
      'demo.walcat-unmarked',
      'other.walcat-drill-2',
    ]);
  });

  it('does nothing when the stack has no drill folder', () => {
    dir = mkdtempSync(join(tmpdir(), 'walcat-drill-copies-'));
    expect(pruneDrillCopies(dir)).toEqual([]);
  });
});
