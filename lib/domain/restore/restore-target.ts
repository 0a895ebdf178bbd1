import { InvalidInputError } from '../errors.ts';
import { formatLsn, type Lsn, parseLsn } from '../wal/lsn.ts';

/**
 * Where a point-in-time restore stops, as PostgreSQL's `recovery_target_*` settings express it.
 * `latest` replays every archived segment (no recovery target), which is what "as far as the archive goes" means.
 */
export type RestoreTarget =
  | { readonly kind: 'time'; readonly time: Date }
  | { readonly kind: 'latest' }
  | { readonly kind: 'lsn'; readonly lsn: Lsn }
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'xid'; readonly xid: bigint };

/** The CLI options that name a target; exactly one must be given. */
export interface RestoreTargetOptions {
  readonly to?: string;
  readonly lsn?: string;
  readonly name?: string;
  readonly xid?: string;
}

/** Invalid restore target text (zone-less time, malformed LSN, two targets at once...). */
export class InvalidRestoreTargetError extends InvalidInputError {
  override readonly name: string = 'InvalidRestoreTargetError';
}

const ISO_WITH_ZONE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})$/;
const ISO_WITHOUT_ZONE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
/** PostgreSQL truncates restore point names to MAXFNAMELEN - 1 = 63 bytes; a longer name can never match. */
const MAX_RESTORE_POINT_NAME_BYTES = 63;
/** `recovery_target_xid` takes a 32-bit xid or an epoch-extended 64-bit one (PostgreSQL 13+). */
const MAX_XID = (1n << 64n) - 1n;
const MIN_NORMAL_XID = 3n;

/**
 * Parses a target time strictly: ISO-8601 with an explicit zone (`Z` or `+HH:MM`), seconds optional, fraction up
 * to nanoseconds (kept to the millisecond). A zone-less time is refused, because its meaning would depend on the
 * machine's zone: the message shows the same time written both ways.
 *
 * @example parseTargetTime('2026-11-20T14:30:00+01:00').toISOString() === '2026-11-20T13:30:00.000Z'
 * @throws InvalidRestoreTargetError for zone-less, malformed or impossible times (2026-02-30).
 */
export function parseTargetTime(text: string): Date {
  const trimmed = text.trim();
  const match = ISO_WITH_ZONE.exec(trimmed);
  if (!match) {
    const zoneless = ISO_WITHOUT_ZONE.exec(trimmed);
    if (zoneless) {
      const [, y, mo, d, h = '00', mi = '00', s = '00'] = zoneless;
      const wall = `${y}-${mo}-${d}T${h}:${mi}:${s}`;
      throw new InvalidRestoreTargetError(
        `target time ${JSON.stringify(text)} has no time zone, so it is ambiguous; write it with an explicit zone, e.g. ${wall}Z for UTC or ${wall}+01:00`,
      );
    }
    throw new InvalidRestoreTargetError(
      `target time ${JSON.stringify(text)} is not an ISO-8601 time with a zone; write it like 2026-11-20T14:30:00Z or 2026-11-20T14:30:00+01:00`,
    );
  }
  const [, y, mo, d, h, mi, s = '00', fraction = '', zone = 'Z'] = match as unknown as string[];
  const fields = [y, mo, d, h, mi, s].map(Number) as [number, number, number, number, number, number];
  const [year, month, day, hour, minute, second] = fields;
  const millis = Number(fraction.padEnd(3, '0').slice(0, 3));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  const check = new Date(local);
  const calendarHolds =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    check.getUTCHours() === hour &&
    check.getUTCMinutes() === minute &&
    check.getUTCSeconds() === second;
  if (!calendarHolds) {
    throw new InvalidRestoreTargetError(
      `target time ${JSON.stringify(text)} is not a real calendar time (check the day of the month and the hour range)`,
    );
  }
  const offsetMinutes = zoneOffsetMinutes(zone);
  if (offsetMinutes === undefined) {
    throw new InvalidRestoreTargetError(
      `target time ${JSON.stringify(text)} has zone ${zone}, which is not an offset between -14:00 and +14:00`,
    );
  }
  return new Date(local - offsetMinutes * 60_000);
}

function zoneOffsetMinutes(zone: string): number | undefined {
  if (zone === 'Z' || zone === 'z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2, 4));
  if (hours > 14 || minutes > 59 || (hours === 14 && minutes > 0)) return undefined;
  return (zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes);
}

/**
 * Parses the target options of `walcat restore plan/start`: exactly one of `--to <time|latest>`, `--lsn X/Y`,
 * `--name <restore point>`, `--xid <n>`.
 *
 * @example parseRestoreTarget({ to: 'latest' }) // { kind: 'latest' }
 * @example parseRestoreTarget({ lsn: '0/3000060' }) // { kind: 'lsn', lsn: 0x3000060n }
 * @throws InvalidRestoreTargetError naming the option and the accepted forms.
 */
export function parseRestoreTarget(options: RestoreTargetOptions): RestoreTarget {
  const given = (['to', 'lsn', 'name', 'xid'] as const).filter((key) => options[key] !== undefined);
  if (given.length !== 1) {
    const which = given.length === 0 ? 'none was given' : `got ${given.map((key) => `--${key}`).join(' and ')}`;
    throw new InvalidRestoreTargetError(
      `restore target: give exactly one of --to <time with zone|latest>, --lsn X/Y, --name <restore point>, --xid <n>; ${which}`,
    );
  }
  if (options.to !== undefined) {
    return options.to.trim().toLowerCase() === 'latest'
      ? { kind: 'latest' }
      : { kind: 'time', time: parseTargetTime(options.to) };
  }
  if (options.lsn !== undefined) {
    try {
      return { kind: 'lsn', lsn: parseLsn(options.lsn) };
    } catch (error) {
      throw new InvalidRestoreTargetError(
        `--lsn ${JSON.stringify(options.lsn)} is not an LSN; write it as PostgreSQL prints it, e.g. 0/3000060`,
        { cause: error },
      );
    }
  }
  if (options.name !== undefined) return { kind: 'name', name: validRestorePointName(options.name) };
  return { kind: 'xid', xid: validXid(options.xid ?? '') };
}

function validRestorePointName(name: string): string {
  const bytes = new TextEncoder().encode(name).length;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused.
  if (name.length === 0 || bytes > MAX_RESTORE_POINT_NAME_BYTES || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new InvalidRestoreTargetError(
      `--name ${JSON.stringify(name)} is not a restore point name: it must be 1 to ${MAX_RESTORE_POINT_NAME_BYTES} bytes without control characters, as given to pg_create_restore_point()`,
    );
  }
  return name;
}

function validXid(text: string): bigint {
  const xid = /^\d{1,20}$/.test(text.trim()) ? BigInt(text.trim()) : -1n;
  if (xid < MIN_NORMAL_XID || xid > MAX_XID) {
    throw new InvalidRestoreTargetError(
      `--xid ${JSON.stringify(text)} is not a transaction id; give a decimal number of at least 3, e.g. 7345 (from txid_current())`,
    );
  }
  return xid;
}

/**
 * The target as one string for output and the `restore plan --json` contract: the ISO-8601 UTC time, `latest`,
 * the `X/Y` LSN, the restore point name or the decimal xid (the kind is reported next to it).
 *
 * @example formatRestoreTarget({ kind: 'latest' }) === 'latest'
 */
export function formatRestoreTarget(target: RestoreTarget): string {
  switch (target.kind) {
    case 'time':
      return target.time.toISOString();
    case 'latest':
      return 'latest';
    case 'lsn':
      return formatLsn(target.lsn);
    case 'name':
      return target.name;
    case 'xid':
      return target.xid.toString();
  }
}

/**
 * Rebuilds a target from its kind and {@link formatRestoreTarget} text (how a stored restore job keeps it).
 *
 * @example restoreTargetFromText('lsn', '0/3000060') // { kind: 'lsn', lsn: 0x3000060n }
 */
export function restoreTargetFromText(kind: RestoreTarget['kind'], text: string): RestoreTarget {
  switch (kind) {
    case 'time':
      return { kind, time: parseTargetTime(text) };
    case 'latest':
      return { kind };
    case 'lsn':
      return parseRestoreTarget({ lsn: text });
    case 'name':
      return parseRestoreTarget({ name: text });
    case 'xid':
      return parseRestoreTarget({ xid: text });
  }
}
