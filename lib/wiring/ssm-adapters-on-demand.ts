/**
 * The SSM adapters with the SSM client imported on their first call (lib/wiring/ssm-adapters.ts, a chunk of the
 * bundle of its own): for the job tracker, most of whose invocations send nothing to SSM. The watchdog's tick only
 * enqueues, a command walcat did not send is looked up in the job table alone, and an in-progress status is applied
 * as it came; a terminal status (whose output is read from Run Command), a restore's next step and the watchdog's
 * polling load the client then. Every method of the ports is asynchronous, so each waits for the import and hands
 * the call on unchanged.
 */
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import { onDemand } from './on-demand.ts';
import type { SsmAdapters, SsmAdaptersFactory } from './ssm-adapters.ts';

export const createSsmAdaptersOnDemand: SsmAdaptersFactory = (endpoints: AwsEndpoints): SsmAdapters => {
  let loaded: SsmAdapters | undefined;
  const adapters = onDemand(async () => {
    const { createSsmAdapters } = await import('./ssm-adapters.ts');
    loaded = createSsmAdapters(endpoints);
    return loaded;
  });
  const commands = async () => (await adapters()).transport();
  const transport: CommandTransport = {
    send: async (request) => (await commands()).send(request),
    getInvocation: async (commandId, instanceId) => (await commands()).getInvocation(commandId, instanceId),
    listInvocations: async (commandId) => (await commands()).listInvocations(commandId),
  };
  const instances: InstanceDirectory = {
    instancesWithTag: async (tagKey, tagValue) => (await adapters()).instances().instancesWithTag(tagKey, tagValue),
  };
  const secrets: SecretSource = {
    get: async (name) => (await adapters()).secrets().get(name),
  };
  return {
    transport: () => transport,
    instances: () => instances,
    secrets: () => secrets,
    close: () => loaded?.close(),
  };
};
