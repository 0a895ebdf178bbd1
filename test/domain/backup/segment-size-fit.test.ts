import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BaseBackup } from '../../../lib/domain/backup/base-backup.ts';
import { describeSegmentSizeMismatch, segmentSizeMismatch } from '../../../lib/domain/backup/segment-size-fit.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber, walFileName } from '../../../lib/domain/wal/wal-segment.ts';

const MIB = 1024 * 1024;

/** A WAL-G backup as written by a server with `actual` segments, whose start LSN is 40 bytes into segment segNo. */
function walgBackup(segNo: number, actual: number): BaseBackup {
  const size = walSegmentSize(actual);
  const startSegment = { timeline: timelineId(1), segNo: segmentNumber(segNo) };
  const start = BigInt(segNo) * BigInt(actual) + 40n;
  return {
    name: `base_${walFileName(startSegment, size)}`,
    kind: 'full',
    timeline: timelineId(1),
    startLsn: lsnFromInteger(start),
    finishLsn: lsnFromInteger(start + 4096n),
    startSegment,
    permanent: false,
  };
}

describe('segmentSizeMismatch', () => {
  it('names 1 MiB when a 1 MiB cluster is configured with the 16 MiB default', () => {
    const backups = [0x20, 0x30, 0x44].map((segNo) => walgBackup(segNo, MIB));
    const mismatch = segmentSizeMismatch(backups, walSegmentSize(16 * MIB));
    expect(mismatch).toEqual({ configured: 16 * MIB, fits: MIB, backups: 3 });
    expect(describeSegmentSizeMismatch(mismatch as NonNullable<typeof mismatch>)).toContain('set walSegmentSize: 1MiB');
  });

  it('is silent when the configured size fits, and when most backups fit it', () => {
    const backups = [0x20, 0x30].map((segNo) => walgBackup(segNo, 16 * MIB));
    expect(segmentSizeMismatch(backups, walSegmentSize(16 * MIB))).toBeUndefined();
    const damaged = { ...walgBackup(0x40, 16 * MIB), startLsn: lsnFromInteger(5n) };
    expect(segmentSizeMismatch([...backups, damaged], walSegmentSize(16 * MIB))).toBeUndefined();
  });

  it('property: for any actual and configured size, a mismatch is reported iff they differ, naming the actual', () => {
    const sizes = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024].map((n) => n * MIB);
    fc.assert(
      fc.property(
        fc.constantFrom(...sizes),
        fc.constantFrom(...sizes),
        fc.uniqueArray(fc.tuple(fc.integer({ min: 0, max: 2 ** 12 }), fc.double({ min: 0, max: 1, noNaN: true })), {
          minLength: 3,
          maxLength: 6,
          selector: ([logId]) => logId,
        }),
        (actual, configured, positions) => {
          // A name whose segment part is 0 fits every larger size too (its LSN starts a log id): those say nothing.
          const perLog = 0x1_0000_0000 / actual;
          const backups = positions.map(([logId, fraction]) =>
            walgBackup(logId * perLog + 1 + Math.floor(fraction * (perLog - 2)), actual),
          );
          const mismatch = segmentSizeMismatch(backups, walSegmentSize(configured));
          if (actual === configured) expect(mismatch).toBeUndefined();
          else expect(mismatch).toEqual({ configured, fits: actual, backups: backups.length });
        },
      ),
    );
  });
});
