/**
 * The error hierarchy of walcat. Every error a person reads names the object, the value and the fix.
 *
 * - {@link InvalidInputError}: permanent, caused by bad input (a malformed key, sentinel, event, config value or CLI
 *   argument). Reported with context and skipped or dead-lettered; retrying cannot help.
 * - {@link UnsafePlanError}: a plan (retention, restore) that would do something unsafe; refused, never executed.
 * - {@link TransientError}: the platform should retry (throttling, timeouts, 5xx).
 */
export class WalcatError extends Error {
  override readonly name: string = 'WalcatError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Bad input: permanent; skip and report, never retry. */
export class InvalidInputError extends WalcatError {
  override readonly name: string = 'InvalidInputError';
}

/** A WAL file name, LSN or segment value that does not parse. */
export class InvalidWalNameError extends InvalidInputError {
  override readonly name: string = 'InvalidWalNameError';
}

/** A configuration file or environment value that fails validation. */
export class ConfigError extends InvalidInputError {
  override readonly name: string = 'ConfigError';
}

/** A plan that would delete or overwrite something it must not. */
export class UnsafePlanError extends WalcatError {
  override readonly name: string = 'UnsafePlanError';
}

/** A failure that may succeed if retried (throttling, timeouts, 5xx). */
export class TransientError extends WalcatError {
  override readonly name: string = 'TransientError';
}
