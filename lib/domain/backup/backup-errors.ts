import { InvalidInputError } from '../errors.ts';

/** A backup name that is not `base_<24hex>[_D_<24hex>][_<8 digits>]` or does not fit the segment size. */
export class InvalidBackupNameError extends InvalidInputError {
  override readonly name: string = 'InvalidBackupNameError';
}

/**
 * A sentinel or metadata.json that cannot be read: too large, not JSON, a field missing or of the wrong type.
 * Permanent: the catalog records the problem on the backup and moves on.
 */
export class InvalidBackupMetadataError extends InvalidInputError {
  override readonly name: string = 'InvalidBackupMetadataError';
  /** The object key of the document (sentinel or metadata.json). */
  readonly key: string;
  /** The JSON field at fault (dotted path), or `(document)` when the whole document is unusable. */
  readonly field: string;

  constructor(key: string, field: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.key = key;
    this.field = field;
  }
}
