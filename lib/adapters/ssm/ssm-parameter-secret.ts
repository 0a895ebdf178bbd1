import { GetParameterCommand, ParameterNotFound, type SSMClient } from '@aws-sdk/client-ssm';
import { ConfigError, TransientError } from '../../domain/errors.ts';
import type { SecretSource } from '../../ports/secret-source.ts';

export interface SsmParameterSecretOptions {
  readonly client: SSMClient;
  /** How long a value is reused before Parameter Store is asked again (a rotated webhook is picked up after it). */
  readonly ttlMs?: number;
  /** Epoch milliseconds; injectable for tests. */
  readonly clock?: () => number;
}

/** Five minutes: a minute-by-minute watchdog reads each parameter a dozen times an hour, not sixty. */
export const DEFAULT_SECRET_TTL_MS = 5 * 60_000;

/**
 * Secrets from SSM Parameter Store SecureStrings (`GetParameter` with `WithDecryption`), cached in memory for a TTL
 * per container. Values never appear in errors or logs: only parameter names do.
 */
export class SsmParameterSecret implements SecretSource {
  readonly #client: SSMClient;
  readonly #ttlMs: number;
  readonly #clock: () => number;
  readonly #cache = new Map<string, { readonly value: string; readonly expiresAtMs: number }>();

  constructor(options: SsmParameterSecretOptions) {
    this.#client = options.client;
    this.#ttlMs = options.ttlMs ?? DEFAULT_SECRET_TTL_MS;
    this.#clock = options.clock ?? Date.now;
  }

  async get(name: string): Promise<string> {
    const now = this.#clock();
    const cached = this.#cache.get(name);
    if (cached !== undefined && cached.expiresAtMs > now) return cached.value;
    let value: string | undefined;
    try {
      const output = await this.#client.send(new GetParameterCommand({ Name: name, WithDecryption: true }));
      value = output.Parameter?.Value;
    } catch (error) {
      if (error instanceof ParameterNotFound) {
        throw new ConfigError(
          `SSM parameter ${name} does not exist; create it as a SecureString holding the Slack webhook URL (aws ssm put-parameter --type SecureString --name ${name} ...)`,
        );
      }
      throw new TransientError(`SSM parameter ${name} could not be read; retrying on the next run`, { cause: error });
    }
    if (value === undefined || value === '') {
      throw new ConfigError(`SSM parameter ${name} is empty; store the Slack webhook URL in it`);
    }
    this.#cache.set(name, { value, expiresAtMs: now + this.#ttlMs });
    return value;
  }
}
