/**
 * The readers of bucket and queue configurations the CLI's `doctor`, `sync` and `retention plan` use, each SDK client built
 * on first use. Kept out of the composition root so wiring them is one line there.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../adapters/aws/sqs-client.ts';
import { SqsQueueInspector } from '../adapters/sqs/sqs-queue-inspector.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { FunctionRoles } from '../domain/deployment/function-role-access.ts';
import type { BucketInspector } from '../ports/bucket-inspector.ts';
import type { PermissionSimulator } from '../ports/permission-simulator.ts';
import type { QueueInspector } from '../ports/queue-inspector.ts';
import { createS3Adapters, type S3Adapters } from '../wiring/s3-adapters.ts';

export interface BucketReaders {
  inspector(): BucketInspector;
  queues(): QueueInspector;
  permissions(): PermissionSimulator;
  /** The role ARNs of the functions doctor checks, read from the deployed stack. */
  functionRoles(stackName: string): Promise<FunctionRoles>;
  close(): void;
}

export function bucketReaders(endpoints: AwsEndpoints): BucketReaders {
  let s3: S3Adapters | undefined;
  let sqs: SQSClient | undefined;
  let iam: IAMClient | undefined;
  let cfn: CloudFormationClient | undefined;
  // IAM and CloudFormation take the SDK's own endpoint settings (AWS_ENDPOINT_URL_IAM, AWS_ENDPOINT_URL).
  const clientOptions = {
    ...(endpoints.region ? { region: endpoints.region } : {}),
    ...(endpoints.credentials ? { credentials: endpoints.credentials } : {}),
  };
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
    // Loaded on first use: sync and retention plan share these readers and never ask IAM or CloudFormation.
    permissions: () => ({
      simulate: async (roleArn, actions, resources) => {
        const [{ IAMClient }, { IamPermissionSimulator }] = await Promise.all([
          import('@aws-sdk/client-iam'),
          import('../adapters/aws/iam-permission-simulator.ts'),
        ]);
        iam ??= new IAMClient(clientOptions);
        return new IamPermissionSimulator(iam).simulate(roleArn, actions, resources);
      },
    }),
    functionRoles: async (stackName) => {
      const [{ CloudFormationClient }, { deployedFunctionRoles }] = await Promise.all([
        import('@aws-sdk/client-cloudformation'),
        import('../adapters/aws/cloudformation-function-roles.ts'),
      ]);
      cfn ??= new CloudFormationClient(clientOptions);
      return deployedFunctionRoles(cfn, stackName);
    },
    close: () => {
      s3?.close();
      sqs?.destroy();
      iam?.destroy();
      cfn?.destroy();
    },
  };
}
