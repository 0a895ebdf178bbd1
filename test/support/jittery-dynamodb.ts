/**
 * A DynamoDB document client of its own (as a separate Lambda invocation has) whose requests wait before they are
 * sent: a fixed delay per operation, plus random jitter. Used to interleave concurrent catalog writers.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { DYNALITE_CREDENTIALS } from './dynalite.ts';

export interface JitterOptions {
  /** Milliseconds before every request whose command name contains the key (e.g. `BatchWrite`, `Put`). */
  readonly delayMs?: Readonly<Record<string, number>>;
  /** Up to this many extra random milliseconds before every request. */
  readonly jitterMs?: number;
  readonly random?: () => number;
}

export function jitteryDocumentClient(endpoint: string, options: JitterOptions = {}): DynamoDBDocumentClient {
  const client = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: endpoint,
    credentials: DYNALITE_CREDENTIALS,
  });
  const random = options.random ?? Math.random;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const name = context.commandName ?? '';
      const fixed = Object.entries(options.delayMs ?? {}).reduce(
        (sum, [part, ms]) => (name.includes(part) ? sum + ms : sum),
        0,
      );
      const wait = fixed + random() * (options.jitterMs ?? 0);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return next(args);
    },
    { step: 'initialize', name: 'walcatTestJitter' },
  );
  return client;
}
