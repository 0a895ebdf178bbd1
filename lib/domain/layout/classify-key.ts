import type { BackupLayout } from '../cluster.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import type { TimelineId } from '../wal/timeline.ts';
import type { WalSegment } from '../wal/wal-segment.ts';
import { analyzeBackupName } from './backup-name.ts';
import type { Compression, StorageObject } from './storage-object.ts';
import { EXTENDED_VERSION_FILE_NAME, WALE_TAR_PART_DIGITS } from './wal-e-layout.ts';
import {
  BACKUP_HISTORY_SUFFIX,
  BACKUP_LABEL_TAR,
  BASEBACKUPS_FOLDER,
  CATCHUP_FOLDER,
  FILES_METADATA_FILE_NAME,
  HISTORY_SUFFIX,
  KNOWN_EXTENSIONS_TEXT,
  METADATA_FILE_NAME,
  PARTIAL_SUFFIX,
  PG_CONTROL_TAR,
  SENTINEL_SUFFIX,
  TAR_PART_MIN_DIGITS,
  TAR_PART_PREFIX,
  TAR_PARTITIONS_FOLDER,
  TAR_SUFFIX,
  WAL_DELTA_SUFFIX,
  WAL_FOLDER,
  WAL_METADATA_SUFFIX,
} from './wal-g-layout.ts';
import {
  decimalRunLength,
  hex8At,
  isLowerHexLetter,
  readDecimal,
  readHex8,
  segmentOfParts,
  upperHexDigitValue,
  upperHexRunLength,
} from './wal-name-scan.ts';

type Ignored = Extract<StorageObject, { kind: 'ignored' }>;

const CODE_DOT = 46;
const SEGMENT_HEX = 24;
const TIMELINE_HEX = 8;
const BULK_METADATA_HEX = 23;
const MAX_PART_DIGITS = 9;

function ignored(reason: string): Ignored {
  return { kind: 'ignored', reason };
}

/* Constant outcomes are allocated once (and frozen, as they are shared): classification runs for every key listed. */
const OUTSIDE_FOLDERS = Object.freeze(ignored(`not under ${BASEBACKUPS_FOLDER} or ${WAL_FOLDER}`));
const CATCHUP = Object.freeze(ignored(`under ${CATCHUP_FOLDER}: WAL-G catchup backups are not catalogued`));
const WAL_FOLDER_MARKER = Object.freeze(ignored(`zero-byte folder marker ${WAL_FOLDER}`));
const BASEBACKUPS_FOLDER_MARKER = Object.freeze(ignored(`zero-byte folder marker ${BASEBACKUPS_FOLDER}`));
const WALG_ONLY = 'is written by WAL-G, never by WAL-E: set layout: wal-g for this cluster';

function fileNameOf(key: string): string {
  return key.slice(key.lastIndexOf('/') + 1);
}

/** The compression named by the key's tail from `position` (`''`, `.`, or a known extension), else undefined. */
function compressionAt(key: string, position: number): Compression | undefined {
  const rest = key.length - position;
  if (rest === 0) return 'none';
  if (key.charCodeAt(position) !== CODE_DOT) return undefined;
  if (rest === 1) return 'none-trailing-dot';
  // A switch on the length keeps this to one or two comparisons per key; wal-g-layout.ts lists the extensions.
  switch (rest) {
    case 3:
      if (key.startsWith('.br', position)) return 'brotli';
      if (key.startsWith('.gz', position)) return 'gzip';
      break;
    case 4:
      if (key.startsWith('.lz4', position)) return 'lz4';
      if (key.startsWith('.zst', position)) return 'zstd';
      if (key.startsWith('.lzo', position)) return 'lzo';
      break;
    case 5:
      if (key.startsWith('.lzma', position)) return 'lzma';
      break;
  }
  return undefined;
}

/** The compression of the tail, or why it is not acceptable for the layout (WAL-E writes only lzop). */
function compressionOrIgnored(key: string, position: number, layout: BackupLayout): Compression | Ignored {
  const compression = compressionAt(key, position);
  if (compression === undefined) {
    return ignored(
      `${fileNameOf(key)}: unknown compression suffix ${key.slice(position)} (known: ${KNOWN_EXTENSIONS_TEXT})`,
    );
  }
  if (layout === 'wal-e' && compression !== 'lzo') {
    return ignored(
      `${fileNameOf(key)}: WAL-E compresses every object with lzop (.lzo); compression ${compression} ${WALG_ONLY}`,
    );
  }
  return compression;
}

/**
 * Classifies one object key of a cluster into what it is for the catalog. Never throws: every key yields exactly one
 * variant, and shapes walcat does not know are `ignored` with a reason a person can act on.
 *
 * `relativeKey` is URL-decoded and relative to the cluster's root (see `resolveClusterOfKey`). Segment names are
 * checked against the cluster's segment size, so `...000001FF` is a segment at 1 MiB and ignored at 16 MiB. The
 * `wal-g` layout also accepts WAL-E backups (WAL-G reads them); the `wal-e` layout ignores objects only WAL-G writes.
 *
 * @example classifyKey('wal_005/000000010000000A000000FF.lz4', 'wal-g', walSegmentSize(16 * 1024 * 1024))
 *   // { kind: 'wal-segment', segment: { timeline: 1, segNo: 2815 }, compression: 'lz4' }
 * @example classifyKey('basebackups_005/base_000000010000000000000002_backup_stop_sentinel.json', 'wal-g', size)
 *   // { kind: 'backup-sentinel', backupName: 'base_000000010000000000000002' }
 * @example classifyKey('wal_005/0000000100000000000001000.lz4', 'wal-g', size)
 *   // { kind: 'ignored', reason: 'WAL name 0000000100000000000001000 has 25 hex digits (...)' }
 */
export function classifyKey(relativeKey: string, layout: BackupLayout, size: WalSegmentSize): StorageObject {
  if (relativeKey.startsWith(WAL_FOLDER)) return classifyWalKey(relativeKey, layout, size);
  if (relativeKey.startsWith(BASEBACKUPS_FOLDER)) return classifyBackupKey(relativeKey, layout, size);
  if (relativeKey.startsWith(CATCHUP_FOLDER)) return CATCHUP;
  return OUTSIDE_FOLDERS;
}

function classifyWalKey(key: string, layout: BackupLayout, size: WalSegmentSize): StorageObject {
  const start = WAL_FOLDER.length;
  if (key.length === start) return WAL_FOLDER_MARKER;
  // Fast path for the overwhelmingly common case: exactly 24 upper-case hex digits, read once.
  const timelinePart = hex8At(key, start);
  const logPart = timelinePart < 0 ? -1 : hex8At(key, start + 8);
  const segPart = logPart < 0 ? -1 : hex8At(key, start + 16);
  if (segPart >= 0 && upperHexDigitValue(key.charCodeAt(start + SEGMENT_HEX)) < 0) {
    const segment = segmentOfParts(key, start, timelinePart, logPart, segPart, size);
    if (typeof segment === 'string') return ignored(segment);
    return classifySegmentFile(key, start, segment, layout, size);
  }
  const run = upperHexRunLength(key, start);
  const after = start + run;
  if (run === TIMELINE_HEX && key.startsWith(HISTORY_SUFFIX, after)) {
    const timeline = readHex8(key, start);
    if (timeline === 0) return ignored(`${fileNameOf(key)}: timeline 0 does not exist; timelines start at 1`);
    const compression = compressionOrIgnored(key, after + HISTORY_SUFFIX.length, layout);
    if (typeof compression !== 'string') return compression;
    return { kind: 'wal-history', timeline: timeline as TimelineId, compression };
  }
  if (
    run === BULK_METADATA_HEX &&
    key.length === after + WAL_METADATA_SUFFIX.length &&
    key.startsWith(WAL_METADATA_SUFFIX, after)
  ) {
    if (layout === 'wal-e') return ignored(`WAL metadata ${fileNameOf(key)} ${WALG_ONLY}`);
    return { kind: 'wal-metadata', fileName: key.slice(start) };
  }
  return ignored(walNameProblem(key, start, run));
}

function walNameProblem(key: string, start: number, run: number): string {
  const after = start + run;
  const name = key.slice(start);
  if (key.indexOf('/', start) >= 0) {
    return `${name} is in a sub-folder of ${WAL_FOLDER}; WAL-G and WAL-E write WAL files directly into it`;
  }
  if (after < key.length && isLowerHexLetter(key.charCodeAt(after))) {
    return `WAL name ${name} contains lower-case hex digits; PostgreSQL names WAL files in upper case`;
  }
  if (run === SEGMENT_HEX) {
    return `WAL name ${name} has unexpected text after its 24 hex digits (expected .partial, .<8 hex>.backup, _delta, .json or a compression suffix)`;
  }
  if (run === 0) {
    return `${name} is not a WAL file name (24 upper-case hex digits, or 8 before .history)`;
  }
  return `WAL name ${key.slice(start, after)} has ${run} hex digits (a WAL file name has 24, a history file 8)`;
}

/** `<24hex>[.partial | .<8hex>.backup | _delta | .json][.<ext> | . | nothing]`. */
function classifySegmentFile(
  key: string,
  start: number,
  segment: WalSegment,
  layout: BackupLayout,
  size: WalSegmentSize,
): StorageObject {
  const after = start + SEGMENT_HEX;
  if (key.charCodeAt(after) === CODE_DOT) {
    if (key.startsWith(PARTIAL_SUFFIX, after)) {
      const compression = compressionOrIgnored(key, after + PARTIAL_SUFFIX.length, layout);
      if (typeof compression !== 'string') return compression;
      return { kind: 'wal-partial', segment, compression };
    }
    if (key.length === after + WAL_METADATA_SUFFIX.length && key.startsWith(WAL_METADATA_SUFFIX, after)) {
      if (layout === 'wal-e') return ignored(`WAL metadata ${fileNameOf(key)} ${WALG_ONLY}`);
      return { kind: 'wal-metadata', fileName: key.slice(start), segment };
    }
    const offsetStart = after + 1;
    const backupSuffixAt = offsetStart + 8;
    if (upperHexRunLength(key, offsetStart) === 8 && key.startsWith(BACKUP_HISTORY_SUFFIX, backupSuffixAt)) {
      const offset = readHex8(key, offsetStart);
      if (offset >= size) {
        return ignored(
          `${fileNameOf(key)}: backup start offset ${key.slice(offsetStart, backupSuffixAt)} is beyond a segment of walSegmentSize ${size} bytes; check the cluster's walSegmentSize`,
        );
      }
      const compression = compressionOrIgnored(key, backupSuffixAt + BACKUP_HISTORY_SUFFIX.length, layout);
      if (typeof compression !== 'string') return compression;
      return { kind: 'wal-backup-history', segment, offset, compression };
    }
  } else if (key.startsWith(WAL_DELTA_SUFFIX, after)) {
    if (layout === 'wal-e') return ignored(`WAL delta ${fileNameOf(key)} ${WALG_ONLY}`);
    const compression = compressionOrIgnored(key, after + WAL_DELTA_SUFFIX.length, layout);
    if (typeof compression !== 'string') return compression;
    return { kind: 'wal-delta', segment, compression };
  } else if (after < key.length) {
    return ignored(walNameProblem(key, start, upperHexRunLength(key, start)));
  }
  const compression = compressionOrIgnored(key, after, layout);
  if (typeof compression !== 'string') return compression;
  return { kind: 'wal-segment', segment, compression };
}

/** Why `name` is not a backup of this layout, or undefined when it is one. */
function backupNameProblem(name: string, layout: BackupLayout, size: WalSegmentSize): string | undefined {
  const parts = analyzeBackupName(name, size);
  if (typeof parts === 'string') return parts;
  if (layout === 'wal-e') {
    if (parts.isDelta) return `delta backup ${name} ${WALG_ONLY}`;
    if (parts.waleOffset === undefined) {
      return `backup name ${name} lacks WAL-E's _<8-digit start offset>; a WAL-E cluster's backups are base_<24 hex>_<8 digits>`;
    }
  }
  return undefined;
}

function classifyBackupKey(key: string, layout: BackupLayout, size: WalSegmentSize): StorageObject {
  const start = BASEBACKUPS_FOLDER.length;
  if (key.length === start) return BASEBACKUPS_FOLDER_MARKER;
  const slash = key.indexOf('/', start);
  if (slash < 0) {
    if (!key.endsWith(SENTINEL_SUFFIX)) {
      return ignored(
        `${key.slice(start)} directly under ${BASEBACKUPS_FOLDER} is neither a sentinel (<backup>${SENTINEL_SUFFIX}) nor a backup folder`,
      );
    }
    const backupName = key.slice(start, key.length - SENTINEL_SUFFIX.length);
    const problem = backupNameProblem(backupName, layout, size);
    if (problem !== undefined) return ignored(`sentinel ${key.slice(start)}: ${problem}`);
    return { kind: 'backup-sentinel', backupName };
  }
  const backupName = key.slice(start, slash);
  const problem = backupNameProblem(backupName, layout, size);
  if (problem !== undefined) return ignored(`backup folder ${backupName}/: ${problem}`);
  const file = slash + 1;
  if (file === key.length) return ignored(`zero-byte folder marker ${BASEBACKUPS_FOLDER}${backupName}/`);
  if (key.startsWith(TAR_PARTITIONS_FOLDER, file)) {
    return classifyTarFile(key, file + TAR_PARTITIONS_FOLDER.length, backupName, layout);
  }
  if (key.indexOf('/', file) >= 0) {
    return ignored(`${key.slice(file)} is in an unknown sub-folder of backup ${backupName}`);
  }
  const rest = key.length - file;
  if (rest === METADATA_FILE_NAME.length && key.startsWith(METADATA_FILE_NAME, file)) {
    if (layout === 'wal-e') return ignored(`${METADATA_FILE_NAME} of ${backupName} ${WALG_ONLY}`);
    return { kind: 'backup-metadata', backupName };
  }
  if (rest === FILES_METADATA_FILE_NAME.length && key.startsWith(FILES_METADATA_FILE_NAME, file)) {
    if (layout === 'wal-e') return ignored(`${FILES_METADATA_FILE_NAME} of ${backupName} ${WALG_ONLY}`);
    return { kind: 'backup-payload', backupName, part: 'files_metadata' };
  }
  if (rest === EXTENDED_VERSION_FILE_NAME.length && key.startsWith(EXTENDED_VERSION_FILE_NAME, file)) {
    return { kind: 'backup-payload', backupName, part: 'extended_version' };
  }
  return ignored(`${key.slice(file)} is not a known object of backup ${backupName}`);
}

/** `part_<digits>.tar<ext>`, `pg_control.tar<ext>`, `backup_label.tar<ext>` inside `tar_partitions/`. */
function classifyTarFile(key: string, file: number, backupName: string, layout: BackupLayout): StorageObject {
  if (file === key.length) {
    return ignored(`zero-byte folder marker ${BASEBACKUPS_FOLDER}${backupName}/${TAR_PARTITIONS_FOLDER}`);
  }
  if (key.indexOf('/', file) >= 0) {
    return ignored(`${key.slice(file)} is in an unknown sub-folder of ${backupName}/${TAR_PARTITIONS_FOLDER}`);
  }
  if (key.startsWith(TAR_PART_PREFIX, file)) {
    const digitsAt = file + TAR_PART_PREFIX.length;
    const digits = decimalRunLength(key, digitsAt);
    const tarAt = digitsAt + digits;
    const wellFormed =
      digits >= TAR_PART_MIN_DIGITS &&
      digits <= MAX_PART_DIGITS &&
      (layout === 'wal-g' || digits === WALE_TAR_PART_DIGITS) &&
      key.startsWith(TAR_SUFFIX, tarAt);
    if (!wellFormed) {
      const expected =
        layout === 'wal-g' ? 'part_<3 to 9 digits>.tar[.<ext>]' : `part_<${WALE_TAR_PART_DIGITS} digits>.tar.lzo`;
      return ignored(`tar file ${key.slice(file)} of backup ${backupName} is not ${expected}`);
    }
    const compression = compressionOrIgnored(key, tarAt + TAR_SUFFIX.length, layout);
    if (typeof compression !== 'string') return compression;
    return {
      kind: 'backup-payload',
      backupName,
      part: 'tar-partition',
      partNumber: readDecimal(key, digitsAt, tarAt),
      compression,
    };
  }
  const isPgControl = key.startsWith(PG_CONTROL_TAR, file);
  if (isPgControl || key.startsWith(BACKUP_LABEL_TAR, file)) {
    if (layout === 'wal-e') return ignored(`tar file ${key.slice(file)} of backup ${backupName} ${WALG_ONLY}`);
    const tarName = isPgControl ? PG_CONTROL_TAR : BACKUP_LABEL_TAR;
    const compression = compressionOrIgnored(key, file + tarName.length, layout);
    if (typeof compression !== 'string') return compression;
    return { kind: 'backup-payload', backupName, part: isPgControl ? 'pg_control' : 'backup_label', compression };
  }
  return ignored(`tar file ${key.slice(file)} of backup ${backupName} is not a part, pg_control or backup_label tar`);
}
