/**
 * S3 event sequencers order events for the same object key. AWS: "If you compare the sequencer strings from two
 * event notifications on the same object key, the event notification with the greater sequencer hexadecimal value
 * is the event that occurred later. ... The sequencers can be of different lengths. So, to compare these values,
 * first right pad the shorter value with zeros, and then do a lexicographical comparison."
 * (Amazon S3 User Guide, "Event message structure"; older revisions of that page said "left pad", the current text
 * says right pad and is what this implements.) Sequencers of different keys are not comparable.
 */

/**
 * Compares two sequencers of the same key: negative when `a` is older, positive when newer, 0 when equal. A missing
 * sequencer (a listing, or an event type without one) is older than any present one. Case is ignored.
 *
 * @example compareSequencers('0055AED6DCD90281E5', '0055AED6DCD90281E6') < 0
 * @example compareSequencers('0A', '0A00') === 0 // right-padded with zeros before comparing
 * @example compareSequencers('0B', '0A01') > 0
 */
export function compareSequencers(a: string | undefined, b: string | undefined): number {
  if (a === undefined || a === '') return b === undefined || b === '' ? 0 : -1;
  if (b === undefined || b === '') return 1;
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padEnd(width, '0');
  const right = b.toUpperCase().padEnd(width, '0');
  return left < right ? -1 : left > right ? 1 : 0;
}
