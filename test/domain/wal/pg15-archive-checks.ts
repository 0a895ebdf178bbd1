import { expect } from 'vitest';
import { type Lsn, parseLsn } from '../../../lib/domain/wal/lsn.ts';
import { parseWalSegmentSize, type WalSegmentSize } from '../../../lib/domain/wal/segment-size.ts';
import { parseTimelineHex, type TimelineId, timelineId } from '../../../lib/domain/wal/timeline.ts';
import { parseTimelineHistory, requiredSegments, switchSegments } from '../../../lib/domain/wal/timeline-history.ts';
import {
  parseWalFileName,
  segmentOfLsn,
  segmentStartLsn,
  type WalSegment,
  walFileName,
} from '../../../lib/domain/wal/wal-segment.ts';

/** What scripts/capture-pg15-archive-names.sh records from a real PostgreSQL 15 archiving run. */
export interface ArchiveNamesCapture {
  readonly walSegmentSize: string;
  readonly files: readonly string[];
  readonly historyFiles: Readonly<Record<string, string>>;
  readonly backupFiles: Readonly<Record<string, string>>;
  readonly notes: string;
}

export type ArchiveName =
  | { readonly kind: 'segment'; readonly segment: WalSegment }
  | { readonly kind: 'partial'; readonly segment: WalSegment }
  | { readonly kind: 'backup'; readonly segment: WalSegment; readonly offset: number }
  | { readonly kind: 'history'; readonly timeline: TimelineId };

/** The four shapes of name PostgreSQL passes to archive_command (%f), parsed with the WAL value types. */
export function parseArchiveName(name: string, size: WalSegmentSize): ArchiveName {
  const partial = /^([0-9A-F]{24})\.partial$/.exec(name);
  if (partial) {
    return { kind: 'partial', segment: parseWalFileName(partial[1] as string, size) };
  }
  const backup = /^([0-9A-F]{24})\.([0-9A-F]{8})\.backup$/.exec(name);
  if (backup) {
    return {
      kind: 'backup',
      segment: parseWalFileName(backup[1] as string, size),
      offset: Number.parseInt(backup[2] as string, 16),
    };
  }
  const history = /^([0-9A-F]{8})\.history$/.exec(name);
  if (history) {
    return { kind: 'history', timeline: parseTimelineHex(history[1] as string) };
  }
  return { kind: 'segment', segment: parseWalFileName(name, size) };
}

/** `segment@1 backup@1 segment@1 partial@1 history@2 segment@2`: the order of kinds, repeats collapsed. */
export function kindSequence(capture: ArchiveNamesCapture): string {
  const size = parseWalSegmentSize(capture.walSegmentSize);
  const kinds = capture.files.map((name) => {
    const parsed = parseArchiveName(name, size);
    return `${parsed.kind}@${parsed.kind === 'history' ? parsed.timeline : parsed.segment.timeline}`;
  });
  return kinds.filter((kind, index) => kind !== kinds[index - 1]).join(' ');
}

function backupField(content: string, field: string): string {
  const line = content.split('\n').find((candidate) => candidate.startsWith(`${field}: `));
  expect(line, `backup file has a ${field} line`).toBeDefined();
  return (line as string).slice(field.length + 2);
}

/** START/STOP WAL LOCATION lines: `0/3000028 (file 000000010000000000000003)`. */
function walLocation(value: string): { lsn: Lsn; file: string } {
  const match = /^([0-9A-F]+\/[0-9A-F]+) \(file ([0-9A-F]{24})\)$/.exec(value);
  expect(match, `WAL location ${value}`).not.toBeNull();
  return { lsn: parseLsn((match as RegExpExecArray)[1] as string), file: (match as RegExpExecArray)[2] as string };
}

/**
 * Checks a capture against the WAL domain: every name parses and round-trips, each .backup file's name agrees with
 * its START WAL LOCATION, the history file parses, the .partial is the parent's switch segment, and the archive
 * holds every segment requiredSegments says a restore from the backup to the end of the archive reads.
 */
export function checkArchiveNames(capture: ArchiveNamesCapture): void {
  const size = parseWalSegmentSize(capture.walSegmentSize);
  const parsed = capture.files.map((name) => ({ name, archiveName: parseArchiveName(name, size) }));
  for (const { name, archiveName } of parsed) {
    if (archiveName.kind === 'segment') {
      expect(walFileName(archiveName.segment, size)).toBe(name);
    }
  }
  const segments = parsed.flatMap(({ archiveName }) => (archiveName.kind === 'segment' ? [archiveName.segment] : []));
  const has = (segment: WalSegment) =>
    segments.some((candidate) => candidate.timeline === segment.timeline && candidate.segNo === segment.segNo);

  const backups = parsed.flatMap(({ name, archiveName }) =>
    archiveName.kind === 'backup' ? [{ name, archiveName }] : [],
  );
  expect(backups.length).toBeGreaterThan(0);
  const backupStarts: Lsn[] = [];
  for (const { name, archiveName } of backups) {
    const content = capture.backupFiles[name] as string;
    const start = walLocation(backupField(content, 'START WAL LOCATION'));
    const stop = walLocation(backupField(content, 'STOP WAL LOCATION'));
    const timeline = timelineId(Number(backupField(content, 'START TIMELINE')));
    expect(walFileName(segmentOfLsn(start.lsn, timeline, size), size)).toBe(start.file);
    expect(name.slice(0, 24)).toBe(start.file);
    expect(BigInt(archiveName.offset)).toBe(start.lsn - segmentStartLsn(archiveName.segment.segNo, size));
    expect(walFileName(segmentOfLsn(stop.lsn, timeline, size), size)).toBe(stop.file);
    expect(stop.lsn).toBeGreaterThanOrEqual(start.lsn);
    backupStarts.push(start.lsn);
  }

  const historyNames = Object.keys(capture.historyFiles);
  expect(historyNames.length).toBeGreaterThan(0);
  for (const historyName of historyNames) {
    const archiveName = parseArchiveName(historyName, size);
    expect(archiveName.kind).toBe('history');
    const timeline = (archiveName as { timeline: TimelineId }).timeline;
    const history = parseTimelineHistory(timeline, capture.historyFiles[historyName] as string, historyName);
    const lastSwitch = switchSegments(history, size).at(-1);
    expect(lastSwitch?.child).toBe(timeline);
    const switchSegNo = lastSwitch?.segNo as number;
    // The old timeline's last segment was archived as .partial, the new timeline starts with the same number.
    expect(
      parsed.some(
        ({ archiveName: other }) =>
          other.kind === 'partial' &&
          other.segment.timeline === lastSwitch?.parent &&
          other.segment.segNo === switchSegNo,
      ),
    ).toBe(true);
    expect(has({ timeline, segNo: switchSegNo } as WalSegment)).toBe(true);

    // A restore from the backup to the end of the archive along this timeline finds every segment it needs.
    const newest = segments.filter((segment) => segment.timeline === timeline).at(-1) as WalSegment;
    const end = segmentStartLsn(newest.segNo, size) + BigInt(size);
    for (const start of backupStarts) {
      const ranges = requiredSegments(history, start, end as Lsn, size);
      expect(ranges.map((range) => range.timeline)).toEqual([lastSwitch?.parent, timeline]);
      for (const range of ranges) {
        for (let segNo = range.fromSegNo; segNo <= range.toSegNo; segNo++) {
          expect(has({ timeline: range.timeline, segNo } as WalSegment), `segment ${segNo} on ${range.timeline}`).toBe(
            true,
          );
        }
      }
    }
  }
}
