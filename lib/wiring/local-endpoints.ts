/**
 * Where the local stack's emulators listen, as AWS endpoints: a module of its own so the CLI can point at the
 * stack without importing the adapter set.
 */
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { LocalStackInfo } from '../config/config-local-stack.ts';

/** Credentials the local emulators accept (s3rver knows only this access key; dynalite takes any). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const LOCAL_REGION = 'us-east-1';

export type LocalEndpoints = Pick<LocalStackInfo, 's3Endpoint' | 'dynamodbEndpoint' | 'ssmEndpoint' | 'region'> & {
  readonly s3Credentials?: LocalStackInfo['s3Credentials'];
};

/** The AWS endpoints of a running (or starting) local stack. */
export function localEndpoints(stack: LocalEndpoints, region?: string): AwsEndpoints {
  return {
    region: region ?? stack.region ?? LOCAL_REGION,
    s3: stack.s3Endpoint,
    dynamodb: stack.dynamodbEndpoint,
    // The stack's SSM-compatible endpoint runs host commands through its local shell transport.
    ...(stack.ssmEndpoint ? { ssm: stack.ssmEndpoint } : {}),
    credentials: stack.s3Credentials ?? LOCAL_CREDENTIALS,
  };
}
