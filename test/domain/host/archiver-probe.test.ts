import { describe, expect, it } from 'vitest';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import {
  type ArchiverProbeResult,
  assessArchiverProbe,
  parseArchiverProbeData,
} from '../../../lib/domain/host/archiver-probe.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';

const SIZE = walSegmentSize(16 * 1024 * 1024);
const NOW = new Date('2026-11-21T12:00:00Z');
const TL1 = timelineId(1);

const data = {
  current_lsn: '0/C000060',
  last_archived_wal: '00000001000000000000000A',
  last_archived_time: '2026-11-21T11:58:00.000000Z',
  failed_count: 3,
  last_failed_wal: null,
  last_failed_time: null,
  in_recovery: false,
  server_version_num: 150004,
  stats_reset: '2026-11-01T00:00:00.000000Z',
  timeline: 1,
};

describe('parseArchiverProbeData', () => {
  it('maps the probe JSON (what PostgreSQL prints) to the domain type', () => {
    expect(parseArchiverProbeData(data)).toEqual({
      currentLsn: 0xc000060n,
      lastArchivedWal: '00000001000000000000000A',
      lastArchivedAt: new Date('2026-11-21T11:58:00Z'),
      failedCount: 3,
      lastFailedWal: undefined,
      lastFailedAt: undefined,
      inRecovery: false,
      serverVersionNum: 150004,
      statsResetAt: new Date('2026-11-01T00:00:00Z'),
      timeline: 1,
    });
  });

  it.each([
    ['not an object', 'x'],
    ['failed_count negative', { ...data, failed_count: -1 }],
    ['in_recovery missing', { ...data, in_recovery: undefined }],
    ['a bad LSN', { ...data, current_lsn: 'zz' }],
  ])('refuses %s', (_why, input) => {
    expect(() => parseArchiverProbeData(input)).toThrow(InvalidInputError);
  });
});

describe('assessArchiverProbe', () => {
  const probe = parseArchiverProbeData(data);
  const base = { probe, timeline: TL1, segmentSize: SIZE, now: NOW, uploadGraceMs: 300_000, archiveLagMaxMs: 600_000 };

  it('measures lag to the live position: segments written but not in the catalog are delayed', () => {
    // Catalog head 0A; the host is inside 0C: 0B and 0C are delayed, 0x60 bytes into 0C plus all of 0B.
    const assessed = assessArchiverProbe({
      ...base,
      head: { timeline: TL1, segNo: segmentNumber(10), uploadedAt: new Date('2026-11-21T11:58:00Z') },
    });
    expect(assessed.archiveLagSegments).toBe(2);
    expect(assessed.archiveLagBytes).toBe(16n * 1024n * 1024n + 0x60n);
    expect(assessed.delayed).toEqual({ from: '00000001000000000000000B', to: '00000001000000000000000C' });
    expect(assessed.findings).toEqual([]);
  });

  it('flags lag when completed segments wait longer than archiveLagMax', () => {
    const assessed = assessArchiverProbe({
      ...base,
      head: { timeline: TL1, segNo: segmentNumber(10), uploadedAt: new Date('2026-11-21T11:40:00Z') },
    });
    expect(assessed.findings.map((finding) => finding.kind)).toEqual(['archive-lag']);
    expect(assessed.findings[0]?.summary).toMatch(/1 completed segment\(s\) from 00000001000000000000000B/u);
  });

  it('flags a rising failed count, but not after a statistics reset', () => {
    const previous: ArchiverProbeResult = { ...probe, failedCount: 1 };
    expect(assessArchiverProbe({ ...base, previous }).newFailures).toBe(2);
    expect(assessArchiverProbe({ ...base, previous }).findings.map((f) => f.kind)).toEqual(['archive-failing']);
    const reset = assessArchiverProbe({
      ...base,
      previous: { ...previous, failedCount: 9, statsResetAt: new Date('2026-10-01T00:00:00Z') },
    });
    expect(reset.newFailures).toBe(0);
  });

  it('flags a segment the host archived that never reached the bucket, after the upload grace only', () => {
    const old = parseArchiverProbeData({ ...data, last_archived_time: '2026-11-21T11:50:00.000000Z' });
    const missing = assessArchiverProbe({ ...base, probe: old, lastArchivedInCatalog: false });
    expect(missing.findings.map((f) => f.kind)).toEqual(['archived-not-in-bucket']);
    expect(missing.findings[0]?.summary).toMatch(
      /archived 00000001000000000000000A at 2026-11-21T11:50:00.000Z but it never reached the bucket/u,
    );
    expect(assessArchiverProbe({ ...base, probe: old, lastArchivedInCatalog: true }).findings).toEqual([]);
    const fresh = parseArchiverProbeData({ ...data, last_archived_time: '2026-11-21T11:59:00.000000Z' });
    expect(assessArchiverProbe({ ...base, probe: fresh, lastArchivedInCatalog: false }).findings).toEqual([]);
  });

  it('reports a probed standby instead of judging its lag', () => {
    const standby = parseArchiverProbeData({ ...data, in_recovery: true });
    const assessed = assessArchiverProbe({
      ...base,
      probe: standby,
      head: { timeline: TL1, segNo: segmentNumber(1), uploadedAt: NOW },
    });
    expect(assessed.archiveLagSegments).toBeUndefined();
    expect(assessed.findings.map((f) => f.kind)).toEqual(['not-a-primary']);
  });
});
