import { S3Client } from '@aws-sdk/client-s3';
import type { AwsEndpoints } from '../../config/aws-endpoints.ts';

/**
 * With an endpoint override the S3 client uses path-style addressing and computes checksums only when required:
 * S3-compatible stores and s3rver reject or corrupt aws-chunked uploads with trailing checksums.
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
