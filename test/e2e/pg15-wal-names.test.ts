import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type ArchiveNamesCapture, checkArchiveNames, kindSequence } from '../domain/wal/pg15-archive-checks.ts';

// Repeats the recording of test/fixtures/pg15 live against the machine's PostgreSQL 15 (1 MiB segments, fsync off,
// about 7 s), so the committed fixture and the WAL domain cannot drift from what a real server archives.
const script = new URL('../../scripts/capture-pg15-archive-names.sh', import.meta.url).pathname;
const fixture = JSON.parse(
  readFileSync(new URL('../fixtures/pg15/archive-names-1mib.json', import.meta.url), 'utf8'),
) as ArchiveNamesCapture;

describe('WAL names archived live by PostgreSQL 15', () => {
  const directory = mkdtempSync(join(tmpdir(), 'walcat-pg15-live-'));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it('parse exactly like the committed fixture', { timeout: 90_000 }, async () => {
    const out = join(directory, 'names.json');
    await promisify(execFile)('bash', [script, '--segsize', '1', '--out', out], { timeout: 80_000 });
    const live = JSON.parse(readFileSync(out, 'utf8')) as ArchiveNamesCapture;

    expect(live.walSegmentSize).toBe(fixture.walSegmentSize);
    expect(kindSequence(live)).toBe(kindSequence(fixture));
    checkArchiveNames(live);
    // Same server, same script: the history reason and the .backup layout match the recorded ones.
    expect(Object.values(live.historyFiles)[0]).toMatch(/^1\t0\/[0-9A-F]+\tno recovery target specified\n$/);
    expect(
      Object.values(live.backupFiles)[0]
        ?.split('\n')
        .map((line) => line.split(':')[0]),
    ).toEqual(
      Object.values(fixture.backupFiles)[0]
        ?.split('\n')
        .map((line) => line.split(':')[0]),
    );
  });
});
