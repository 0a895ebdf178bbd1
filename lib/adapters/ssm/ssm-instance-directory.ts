import { paginateDescribeInstanceInformation, type SSMClient } from '@aws-sdk/client-ssm';
import { TransientError } from '../../domain/errors.ts';
import type { InstanceDirectory } from '../../ports/instance-directory.ts';

/**
 * Instances by tag from SSM's inventory (DescribeInstanceInformation with a `tag:<key>` filter), online agents only:
 * an instance whose agent is offline could not run a restore step anyway.
 */
export class SsmInstanceDirectory implements InstanceDirectory {
  readonly #client: SSMClient;

  constructor(options: { readonly client: SSMClient }) {
    this.#client = options.client;
  }

  async instancesWithTag(tagKey: string, tagValue: string): Promise<readonly string[]> {
    const ids: string[] = [];
    try {
      const pages = paginateDescribeInstanceInformation(
        { client: this.#client },
        { Filters: [{ Key: `tag:${tagKey}`, Values: [tagValue] }] },
      );
      for await (const page of pages) {
        for (const instance of page.InstanceInformationList ?? []) {
          if (instance.InstanceId && instance.PingStatus === 'Online') ids.push(instance.InstanceId);
        }
      }
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
      if (name.startsWith('Throttl') || status >= 500) {
        throw new TransientError(
          `SSM DescribeInstanceInformation for tag ${tagKey}=${tagValue} was throttled or failed`,
          {
            cause: error,
          },
        );
      }
      throw error;
    }
    return ids.sort();
  }
}
