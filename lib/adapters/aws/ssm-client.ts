import { SSMClient } from '@aws-sdk/client-ssm';
import type { AwsEndpoints } from '../../config/aws-endpoints.ts';

export function createSsmClient(endpoints: AwsEndpoints): SSMClient {
  return new SSMClient({
    region: endpoints.region,
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
    ...(endpoints.ssm ? { endpoint: endpoints.ssm } : {}),
  });
}
