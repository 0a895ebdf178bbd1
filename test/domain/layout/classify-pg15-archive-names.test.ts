import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { classifyKey } from '../../../lib/domain/layout/classify-key.ts';
import { parseLsn } from '../../../lib/domain/wal/lsn.ts';
import { parseWalSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { parseTimelineHex } from '../../../lib/domain/wal/timeline.ts';
import { parseWalFileName } from '../../../lib/domain/wal/wal-segment.ts';

/** File names PostgreSQL 15 handed to archive_command (%f) in a real run: segments, a .backup, a promotion. */
interface ArchiveNames {
  readonly walSegmentSize: string;
  readonly files: readonly string[];
  readonly backupFiles: Readonly<Record<string, string>>;
}

function load(file: string): ArchiveNames {
  return JSON.parse(readFileSync(new URL(`../../fixtures/pg15/${file}`, import.meta.url), 'utf8')) as ArchiveNames;
}

describe.each(['archive-names.json', 'archive-names-1mib.json'])('real PostgreSQL 15 archive names (%s)', (file) => {
  const names = load(file);
  const size = parseWalSegmentSize(names.walSegmentSize);

  it('covers every kind a promotion and a base backup produce', () => {
    const kinds = new Set(names.files.map((name) => classifyKey(`wal_005/${name}.br`, 'wal-g', size).kind));
    expect(kinds).toEqual(new Set(['wal-segment', 'wal-backup-history', 'wal-partial', 'wal-history']));
  });

  it.each(names.files)('wal_005/%s.br classifies to what its name says', (name) => {
    const result = classifyKey(`wal_005/${name}.br`, 'wal-g', size);
    if (name.endsWith('.history')) {
      expect(result).toEqual({
        kind: 'wal-history',
        timeline: parseTimelineHex(name.slice(0, 8)),
        compression: 'brotli',
      });
      return;
    }
    const segment = parseWalFileName(name.slice(0, 24), size);
    if (name.endsWith('.partial')) {
      expect(result).toEqual({ kind: 'wal-partial', segment, compression: 'brotli' });
    } else if (name.endsWith('.backup')) {
      // The offset in the name is where the backup started: START WAL LOCATION modulo the segment size.
      const start = /START WAL LOCATION: (\S+)/.exec(names.backupFiles[name] ?? '')?.[1] ?? '';
      const offset = Number(parseLsn(start) % BigInt(size));
      expect(result).toEqual({ kind: 'wal-backup-history', segment, offset, compression: 'brotli' });
    } else {
      expect(result).toEqual({ kind: 'wal-segment', segment, compression: 'brotli' });
    }
  });
});
