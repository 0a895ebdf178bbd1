/**
 * The readers of bucket and queue configurations the CLI's `doctor`, `sync` and `retention plan` use, each SDK client built
 * on first use. Kept out of the composition root so wiring them is one line there.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../adapters/aws/sqs-client.ts';
import { SqsQueueInspector } from '../adapters/sqs/sqs-queue-inspector.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { QueueInspector } from '../ports/queue-inspector.ts';
import { createS3Adapters, type S3Adapters } from '../wiring/s3-adapters.ts';

export interface BucketReaders {
  inspector(): BucketInspector;
  queues(): QueueInspector;
  close(): void;
}

export function bucketReaders(endpoints: AwsEndpoints): BucketReaders {
  let s3: S3Adapters | undefined;
  let sqs: SQSClient | undefined;
  const inspector = (): BucketInspector => {
    s3 ??= createS3Adapters(endpoints);
    return s3.inspector();
  };
  return {
    inspector,
    queues: () => {
      sqs ??= createSqsClient(endpoints);
      return new SqsQueueInspector(sqs);
    },
    close: () => {
      s3?.close();
      sqs?.destroy();
    },
  };
}
