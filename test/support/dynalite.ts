/**
 * In-process, in-memory dynalite for tests: one per test file, on a free port.
 * dynalite has no TransactWriteItems and never deletes items by TTL.
 *
 * @example
 * const ddb = await startDynalite();
 * await ddb.raw.send(new CreateTableCommand({ ... }));
 * await ddb.close();
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDynamoDbDocumentClient } from '../../lib/adapters/aws/aws-clients.ts';
import { LOCAL_REGION, startLocalDynamoDb } from '../../lib/local-stack/local-emulators.ts';

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

/** The product's document client and a plain administration client for a dynalite at `endpoint`. */
export function dynaliteClients(endpoint: string): Pick<DynaliteHandle, 'client' | 'raw'> {
  return {
    client: createDynamoDbDocumentClient({
      region: LOCAL_REGION,
      dynamodb: endpoint,
      credentials: DYNALITE_CREDENTIALS,
    }),
    raw: new DynamoDBClient({ region: LOCAL_REGION, endpoint, credentials: DYNALITE_CREDENTIALS }),
  };
}

export async function startDynalite(): Promise<DynaliteHandle> {
  const server = await startLocalDynamoDb({ port: 0 });
  const { client, raw } = dynaliteClients(server.endpoint);
  return {
    endpoint: server.endpoint,
    port: server.port,
    client,
    raw,
    async close() {
      client.destroy();
      raw.destroy();
      await server.close();
    },
  };
}
