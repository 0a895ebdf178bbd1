import { SQSClient } from '@aws-sdk/client-sqs';
import type { AwsEndpoints } from '../../config/aws-endpoints.ts';

/**
 * The SQS client. A queue URL from the stack names the service's own host (`https://sqs.<region>.amazonaws.com/...`,
 * also in emulators such as moto), and the SDK sends each request to its queue URL's host by default, past any
 * endpoint override: with an override set, every request goes to the override instead.
 */
export function createSqsClient(endpoints: AwsEndpoints): SQSClient {
  return new SQSClient({
    region: endpoints.region,
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
    ...(endpoints.sqs ? { endpoint: endpoints.sqs, useQueueUrlAsEndpoint: false } : {}),
  });
}
