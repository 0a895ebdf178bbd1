/**
 * In-process, in-memory dynalite for tests: one per test file, on a free port.
 * dynalite has no TransactWriteItems and never deletes items by TTL (shared/reference/toolchain.md §3).
 *
 * @example
 * const ddb = await startDynalite();
 * await ddb.raw.send(new CreateTableCommand({ ... }));
 * await ddb.close();
 */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';

export interface DynaliteHandle {
  /** `http://127.0.0.1:<port>`, usable as `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  readonly port: number;
  /** Built by the product's own factory (`createDynamoDbDocumentClient`), region us-east-1, dummy credentials. */
  readonly client: DynamoDBDocumentClient;
  /** A plain client for table administration (CreateTable, DescribeTable). */
  readonly raw: DynamoDBClient;
  close(): Promise<void>;
}

/** dynalite accepts any credentials; fixed ones keep the SDK from searching the credential chain. */
export const DYNALITE_CREDENTIALS = { accessKeyId: 'dynalite', secretAccessKey: 'dynalite' } as const;

type DynaliteFactory = (options: Record<string, unknown>) => Server;

export async function startDynalite(): Promise<DynaliteHandle> {
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('dynalite did not report a TCP port');
  const endpoint = `http://127.0.0.1:${address.port}`;
  const client = createDynamoDbDocumentClient({
    region: 'us-east-1',
    dynamodb: endpoint,
    credentials: DYNALITE_CREDENTIALS,
  });
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials: DYNALITE_CREDENTIALS });
  return {
    endpoint,
    port: address.port,
    client,
    raw,
    async close() {
      client.destroy();
      raw.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
