import { isInteger, isSafeNumber, parse } from 'lossless-json';
import type { z } from 'zod';
import { InvalidBackupMetadataError } from './backup-errors.ts';

/**
 * Largest sentinel or metadata.json walcat reads. Real ones are a few KiB (legacy sentinels with a `Files` map can
 * reach a few hundred KiB for big clusters); anything larger is rejected before parsing so a hostile or corrupt
 * object cannot exhaust a Lambda's memory.
 */
export const MAX_BACKUP_METADATA_BYTES = 1024 * 1024;

/** Field name used when the whole document is unusable (too large, not JSON, not an object). */
export const WHOLE_DOCUMENT = '(document)';

/** Which document is read, for messages: what it is and what a person can do about a bad one. */
export interface BackupDocumentKind {
  readonly what: string;
  readonly fix: string;
}

/**
 * Integers become numbers when exactly representable and bigint otherwise (system identifiers exceed 2^53); other
 * numbers become JS numbers. LSNs therefore stay exact whatever their size.
 */
function parseJsonNumber(text: string): number | bigint {
  if (isInteger(text) && !isSafeNumber(text)) return BigInt(text);
  return Number(text);
}

/** `path.to.field` for messages; the whole document for the root. */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? WHOLE_DOCUMENT : path.map(String).join('.');
}

export function backupMetadataError(
  kind: BackupDocumentKind,
  key: string,
  field: string,
  problem: string,
  cause?: unknown,
): InvalidBackupMetadataError {
  const subject = field === WHOLE_DOCUMENT ? 'the document' : `field ${field}`;
  return new InvalidBackupMetadataError(
    key,
    field,
    `${kind.what} ${key}: ${subject} ${problem}; ${kind.fix}`,
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Parses a small backup JSON document losslessly and validates it against its wire schema.
 *
 * @example parseBackupDocument(WALG_SENTINEL, key, text, walgSentinelSchema).LSN // 2734686248
 * @throws InvalidBackupMetadataError naming the key and the field: document too large, not JSON, wrong types.
 */
export function parseBackupDocument<Schema extends z.ZodType>(
  kind: BackupDocumentKind,
  key: string,
  text: string,
  schema: Schema,
): z.output<Schema> {
  // A UTF-8 document of N bytes has at most N UTF-16 code units, so this rejects every document above the limit
  // (and a few multi-byte ones just below it) without encoding the text.
  if (text.length > MAX_BACKUP_METADATA_BYTES) {
    throw backupMetadataError(
      kind,
      key,
      WHOLE_DOCUMENT,
      `is ${text.length} characters long, above the ${MAX_BACKUP_METADATA_BYTES}-byte limit (MAX_BACKUP_METADATA_BYTES) for backup metadata`,
    );
  }
  let value: unknown;
  try {
    value = parse(text, null, parseJsonNumber);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw backupMetadataError(kind, key, WHOLE_DOCUMENT, `is not valid JSON (${detail})`, error);
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue === undefined ? WHOLE_DOCUMENT : fieldOf(issue.path);
    throw backupMetadataError(kind, key, field, `is invalid: ${issue?.message ?? 'schema mismatch'}`, result.error);
  }
  return result.data;
}
