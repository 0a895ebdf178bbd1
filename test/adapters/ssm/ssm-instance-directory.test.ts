import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { SsmInstanceDirectory } from '../../../lib/adapters/ssm/ssm-instance-directory.ts';
import { TransientError } from '../../../lib/domain/errors.ts';

const ssm = mockClient(SSMClient);
afterEach(() => ssm.reset());

describe('SsmInstanceDirectory', () => {
  it('filters by tag, follows pages and keeps online agents only, sorted', async () => {
    ssm
      .on(DescribeInstanceInformationCommand, { Filters: [{ Key: 'tag:walcat:scratch', Values: ['orders-main'] }] })
      .resolvesOnce({
        InstanceInformationList: [
          { InstanceId: 'i-0bbbbbbbbbbbbbbb2', PingStatus: 'Online' },
          { InstanceId: 'i-0ccccccccccccccc3', PingStatus: 'ConnectionLost' },
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({ InstanceInformationList: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', PingStatus: 'Online' }] });
    const directory = new SsmInstanceDirectory({ client: new SSMClient({ region: 'eu-west-1' }) });
    expect(await directory.instancesWithTag('walcat:scratch', 'orders-main')).toEqual([
      'i-0aaaaaaaaaaaaaaa1',
      'i-0bbbbbbbbbbbbbbb2',
    ]);
    expect(ssm.commandCalls(DescribeInstanceInformationCommand)[1]?.args[0].input.NextToken).toBe('page-2');
  });

  it('turns throttling into a TransientError so the caller retries', async () => {
    ssm
      .on(DescribeInstanceInformationCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const directory = new SsmInstanceDirectory({ client: new SSMClient({ region: 'eu-west-1' }) });
    await expect(directory.instancesWithTag('k', 'v')).rejects.toBeInstanceOf(TransientError);
  });
});
