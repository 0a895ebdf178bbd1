import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type ArchiveNamesCapture, checkArchiveNames, kindSequence } from './pg15-archive-checks.ts';

// Recorded by scripts/capture-pg15-archive-names.sh from real PostgreSQL 15 runs; test/e2e/pg15-wal-names.test.ts
// repeats the run live so these files stay honest.
const load = (name: string): ArchiveNamesCapture =>
  JSON.parse(readFileSync(new URL(`../../fixtures/pg15/${name}`, import.meta.url), 'utf8')) as ArchiveNamesCapture;

describe.each([
  ['archive-names.json', '16MiB'],
  ['archive-names-1mib.json', '1MiB'],
])('names archived by PostgreSQL 15 (%s)', (file, sizeText) => {
  const capture = load(file);

  it(`was recorded with ${sizeText} segments`, () => {
    expect(capture.walSegmentSize).toBe(sizeText);
  });

  it('contains every kind of name, in the order a failover produces them', () => {
    expect(kindSequence(capture)).toBe('segment@1 backup@1 segment@1 partial@1 history@2 segment@2');
  });

  it('parses every name and agrees with the .backup and .history contents', () => {
    checkArchiveNames(capture);
  });
});
