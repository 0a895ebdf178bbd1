/**
 * Whether `zone` names a time zone this runtime knows, as `Intl.DateTimeFormat` would accept it.
 *
 * The config is validated at every cold start, and the first `Intl.DateTimeFormat` a process constructs loads ICU's
 * locale data (about 20 ms): the zones ICU lists as canonical are checked against that list instead, and only other
 * spellings (aliases such as `Etc/UTC` or `US/Pacific`, other letter cases) pay for a formatter. The list is a subset
 * of what a formatter accepts, so both ways give the same answer. `UTC`, the default and most configs' zone, is
 * answered before the list is built (2-4 ms of ICU enumeration at a cold start): ECMA-402 requires every
 * implementation to accept it.
 *
 * @example isTimeZone('Europe/Paris') === true; isTimeZone('Mars/Olympus') === false
 */
export function isTimeZone(zone: string): boolean {
  if (zone === 'UTC') return true;
  canonicalZones ??= new Set(['UTC', ...Intl.supportedValuesOf('timeZone')]);
  if (canonicalZones.has(zone)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

let canonicalZones: ReadonlySet<string> | undefined;
