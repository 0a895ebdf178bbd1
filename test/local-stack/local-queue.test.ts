/**
 * The local queue in front of catalog-ingest and alert-dispatch behaves as SQS with a redrive policy: SQS-shaped
 * batches of at most batchSize, the handler's batchItemFailures (and only those) redelivered with a higher receive
 * count, a thrown invocation redelivering the whole batch, and a message dropped to the dead letters after
 * maxReceiveCount receives.
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { startLocalQueue } from '../../lib/local-stack/local-queue.ts';

async function drain(queue: { flush(): Promise<void> }, rounds: number) {
  for (let round = 0; round < rounds; round++) await queue.flush();
}

describe('local queue', () => {
  it('redelivers exactly the batch item failures until they succeed or reach maxReceiveCount', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 6 }), { minLength: 1, maxLength: 25 }),
        fc.integer({ min: 1, max: 10 }),
        async (failuresPerMessage, batchSize) => {
          const maxReceiveCount = 4;
          const batches: SQSEvent[] = [];
          const delivered: string[] = [];
          const dead: string[] = [];
          const failuresLeft = new Map(failuresPerMessage.map((count, index) => [String(index), count]));
          const queue = startLocalQueue({
            name: 'test',
            batchSize,
            maxReceiveCount,
            batchDelayMs: 60_000,
            deliver: async (event): Promise<SQSBatchResponse> => {
              batches.push(event);
              const batchItemFailures = event.Records.filter((record) => {
                const left = failuresLeft.get(record.body) ?? 0;
                failuresLeft.set(record.body, left - 1);
                return left > 0;
              }).map((record) => ({ itemIdentifier: record.messageId }));
              return { batchItemFailures };
            },
            onDelivered: (body) => delivered.push(body),
            onDeadLetter: (body) => dead.push(body),
          });
          for (const index of failuresPerMessage.keys()) queue.send(String(index));
          await drain(queue, maxReceiveCount + 1);
          await queue.stop();
          for (const batch of batches) {
            expect(batch.Records.length).toBeLessThanOrEqual(batchSize);
            for (const record of batch.Records) expect(record.eventSource).toBe('aws:sqs');
          }
          failuresPerMessage.forEach((failures, index) => {
            const body = String(index);
            const receives = batches.flatMap((batch) => batch.Records).filter((record) => record.body === body);
            expect(receives.map((record) => record.attributes.ApproximateReceiveCount)).toEqual(
              receives.map((_, attempt) => String(attempt + 1)),
            );
            if (failures < maxReceiveCount) {
              expect(delivered.filter((b) => b === body)).toHaveLength(1);
              expect(receives).toHaveLength(failures + 1);
            } else {
              expect(dead).toContain(body);
              expect(receives).toHaveLength(maxReceiveCount);
            }
          });
        },
      ),
      { numRuns: 50 },
    );
  });

  it('redelivers the whole batch when the invocation throws', async () => {
    let calls = 0;
    const delivered: string[] = [];
    const queue = startLocalQueue({
      name: 'test',
      batchSize: 10,
      maxReceiveCount: 3,
      batchDelayMs: 60_000,
      deliver: async () => {
        calls++;
        if (calls === 1) throw new Error('throttled');
        return { batchItemFailures: [] };
      },
      onDelivered: (body) => delivered.push(body),
      onDeadLetter: () => undefined,
    });
    queue.send('a');
    queue.send('b');
    await drain(queue, 2);
    await queue.stop();
    expect(calls).toBe(2);
    expect(delivered.sort()).toEqual(['a', 'b']);
  });
});
