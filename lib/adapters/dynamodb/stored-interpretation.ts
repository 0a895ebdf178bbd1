import type { BaseBackup } from '../../domain/backup/base-backup.ts';
import { decodeBaseBackup, encodeBaseBackup } from '../../domain/backup/base-backup-codec.ts';

/**
 * A backup item's `interpretation` attribute: the backup its sentinel and metadata.json were read into when the item
 * was written, so a read builds the record without parsing the two documents again (lossless JSON and schema
 * validation were most of the time of reading a catalog of 87,600 backups).
 *
 * It is trusted only while it is the interpretation of what the item holds now: the same interpreter basis (its
 * version, the cluster's layout and segment size) and the same sentinel and metadata.json, which the item's
 * revisions of the two attributes (`rev_sentinel`, `rev_metadata`, raised with every write of either) tell. A write
 * that changes either source writes the interpretation of the result; one that raced it changes a revision, so the
 * other's interpretation no longer matches and the read interprets the texts, as for an item written before
 * interpretations were kept, or one whose backup this encoding cannot hold exactly.
 *
 * The text is one JSON array: `[FORMAT, basis, sentinel revision, metadata revision, field mask, ...values]`, the
 * backup as lib/domain/backup/base-backup-codec.ts encodes it. The name is the item's own.
 */
const FORMAT = 1;

/** Which revisions of the item's two sources an interpretation was made from. */
export interface SourceRevisions {
  readonly sentinel: number;
  readonly metadata: number;
}

/**
 * The attribute text of a backup read from the sources at `revisions` with the interpreter of `basis`; undefined
 * when the backup holds something this encoding would not give back exactly (the read then interprets the texts).
 *
 * @example encodeStoredInterpretation(backup, 'orders-main', '1:wal-g:16777216', { sentinel: 1, metadata: 1 })
 */
export function encodeStoredInterpretation(
  backup: BaseBackup,
  name: string,
  basis: string,
  revisions: SourceRevisions,
): string | undefined {
  const fields = encodeBaseBackup(backup, name);
  return fields === undefined
    ? undefined
    : JSON.stringify([FORMAT, basis, revisions.sentinel, revisions.metadata, ...fields]);
}

/**
 * The backup an `interpretation` attribute holds, when it was made with `basis` from the sources at `revisions`;
 * undefined otherwise (another basis, other sources, another format, or not this attribute at all).
 *
 * @example decodeStoredInterpretation(item.interpretation, item.name, basis, { sentinel: 1, metadata: 1 })?.startLsn
 */
export function decodeStoredInterpretation(
  text: unknown,
  name: string,
  basis: string,
  revisions: SourceRevisions,
): BaseBackup | undefined {
  if (typeof text !== 'string') return undefined;
  try {
    return decoded(JSON.parse(text), name, basis, revisions);
  } catch {
    // Not this attribute's text (a hand-edited item, a malformed number): the texts are interpreted instead.
    return undefined;
  }
}

function decoded(parsed: unknown, name: string, basis: string, revisions: SourceRevisions): BaseBackup | undefined {
  if (!Array.isArray(parsed) || parsed.length < 5) return undefined;
  if (parsed[0] !== FORMAT || parsed[1] !== basis) return undefined;
  if (parsed[2] !== revisions.sentinel || parsed[3] !== revisions.metadata) return undefined;
  return decodeBaseBackup(parsed, 4, name);
}
