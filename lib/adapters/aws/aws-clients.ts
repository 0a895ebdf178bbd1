import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * Where the AWS clients point. Region, credentials and the standard `AWS_ENDPOINT_URL*` variables are otherwise
 * honoured by the SDK itself; the endpoints here are what lib/config read from those variables, so the S3 client
 * knows when it talks to an S3-compatible store or emulator.
 */
export interface AwsEndpoints {
  readonly region?: string;
  /** Static credentials, only for local emulators (s3rver knows the key `S3RVER`); otherwise the default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly s3?: string;
  readonly dynamodb?: string;
  readonly ssm?: string;
}

/**
 * With an endpoint override the S3 client uses path-style addressing and computes checksums only when required:
 * S3-compatible stores and s3rver reject or corrupt aws-chunked uploads with trailing checksums
 * (shared/reference/toolchain.md §4).
 */
export function createS3Client(endpoints: AwsEndpoints): S3Client {
  return new S3Client({
    region: endpoints.region,
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
    ...(endpoints.s3
      ? {
          endpoint: endpoints.s3,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
}

export function createDynamoDbDocumentClient(endpoints: AwsEndpoints): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    region: endpoints.region,
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
    ...(endpoints.dynamodb ? { endpoint: endpoints.dynamodb } : {}),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
    unmarshallOptions: { wrapNumbers: false },
  });
}

export function createSsmClient(endpoints: AwsEndpoints): SSMClient {
  return new SSMClient({
    region: endpoints.region,
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
    ...(endpoints.ssm ? { endpoint: endpoints.ssm } : {}),
  });
}
