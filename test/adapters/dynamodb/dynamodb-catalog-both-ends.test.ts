import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backupSk, clusterPk } from '../../../lib/adapters/dynamodb/catalog-keys.ts';
import { DynamoDbCatalogStore } from '../../../lib/adapters/dynamodb/dynamodb-catalog-store.ts';
import type { BackupInterpreter } from '../../../lib/domain/catalog/catalog-change.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';

const cluster = 'orders-main' as ClusterId;
const interpret: BackupInterpreter = () => ({ problem: 'not read in this test' });

/** A partition of backup items answering Query as DynamoDB pages it: `pageSize` items a page, either direction. */
function pagedTable(names: readonly string[], pageSize: number) {
  const items = [...new Set(names)]
    .map((name) => ({
      pk: clusterPk(cluster),
      sk: backupSk(name),
      itemType: 'backup',
      cluster,
      name,
      firstSeenAt: '2026-11-20T12:00:00.000Z',
      updatedAt: '2026-11-20T12:00:00.000Z',
    }))
    .sort((a, b) => (a.sk < b.sk ? -1 : 1));
  let requests = 0;
  const answer = (input: QueryCommand['input']) => {
    requests++;
    const forward = input.ScanIndexForward !== false;
    const ordered = forward ? items : [...items].reverse();
    const start = input.ExclusiveStartKey?.sk as string | undefined;
    const from = start === undefined ? 0 : ordered.findIndex((item) => item.sk === start) + 1;
    const page = ordered.slice(from, from + pageSize);
    const last = page.at(-1);
    const more = from + pageSize < ordered.length;
    return { Items: page, ...(more && last ? { LastEvaluatedKey: { pk: last.pk, sk: last.sk } } : {}) };
  };
  return { items, answer, requests: () => requests };
}

describe('listing backups from both ends of their range', () => {
  it('reads every backup once, whatever the range and page size, in at most two pages more than one stream', async () => {
    const documentClient = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(documentClient);
    const store = new DynamoDbCatalogStore({ client: documentClient, tableName: 'walcat', interpret });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.stringMatching(/^base_[0-9A-F]{1,4}$/), { maxLength: 60 }),
        fc.integer({ min: 1, max: 7 }),
        async (names, pageSize) => {
          const table = pagedTable(names, pageSize);
          mock.reset();
          mock.on(QueryCommand).callsFake(table.answer);
          const listed = await store.listBackups(cluster);
          expect(listed.map((record) => record.name).sort()).toEqual(table.items.map((item) => item.name).sort());
          const onePass = Math.max(1, Math.ceil(table.items.length / pageSize));
          expect(table.requests()).toBeLessThanOrEqual(onePass + 2);
          // A range of one page is one request, as before.
          if (table.items.length <= pageSize) expect(table.requests()).toBe(1);
        },
      ),
      { numRuns: 200 },
    );
    mock.restore();
  });
});
