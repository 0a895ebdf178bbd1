/**
 * The SDK client factories, one module per client (dynamodb-client.ts, s3-client.ts, sqs-client.ts, ssm-client.ts) so that a
 * module needing one client does not load the others (the CLI's per-command chunks); this one gathers them.
 */
import type { AwsEndpoints } from '../../config/aws-endpoints.ts';

export { createDynamoDbDocumentClient } from './dynamodb-client.ts';
export { createS3Client } from './s3-client.ts';
export { createSqsClient } from './sqs-client.ts';
export { createSsmClient } from './ssm-client.ts';
export type { AwsEndpoints };
