import { S3Client } from '@aws-sdk/client-s3';
import type { LocalArchiverConfig } from './config.ts';

/**
 * The S3 client with the same endpoint-override settings as the product's `createS3Client`
 * (lib/adapters/aws/aws-clients.ts): path style and checksums only when required. Built here instead because that
 * module also loads the DynamoDB and SSM SDKs, which would add about 0.2 s to every archived WAL segment.
 */
export function createArchiverS3Client(config: LocalArchiverConfig): S3Client {
  return new S3Client({
    region: config.region,
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.s3Endpoint
      ? {
          endpoint: config.s3Endpoint,
          forcePathStyle: true,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
  });
}
