/**
 * The adapters over SSM, all on one SSM client built on first use: the command transport (Run Command), the instance
 * directory (the managed-instance inventory) and the webhook secrets (Parameter Store). The only wiring module that
 * imports the SSM client: a door whose use cases send host commands or read webhook secrets (the scheduler, the
 * probe, restores and drills, the CLI, the local stack) hands `createSsmAdapters` to the adapter set, and the job
 * tracker, most of whose invocations call no SSM, the on-demand factory (lib/wiring/ssm-adapters-on-demand.ts) that
 * imports this module on its first call; every other Lambda bundle (ingest, sync, retention, the watchdog, the web
 * view) is then built without the SSM client, which is the largest of the clients and costs every cold start that
 * loads it.
 */
import { createSsmClient } from '../adapters/aws/ssm-client.ts';
import { SsmCommandTransport } from '../adapters/ssm/ssm-command-transport.ts';
import { SsmInstanceDirectory } from '../adapters/ssm/ssm-instance-directory.ts';
import { SsmParameterSecret } from '../adapters/ssm/ssm-parameter-secret.ts';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import type { SecretSource } from '../ports/secret-source.ts';
import { lazy } from './lazy.ts';

export interface SsmAdapters {
  /** Host commands through Run Command. */
  transport(): CommandTransport;
  /** Hosts by tag, from SSM's managed-instance inventory. */
  instances(): InstanceDirectory;
  /** Slack webhook URLs from Parameter Store SecureStrings. */
  secrets(): SecretSource;
  /** Closes the SSM client if one was built. */
  close(): void;
}

/** How a door hands the SSM adapters to the wiring: this module's factory, passed by reference. */
export type SsmAdaptersFactory = (endpoints: AwsEndpoints) => SsmAdapters;

export const createSsmAdapters: SsmAdaptersFactory = (endpoints) => {
  let client: ReturnType<typeof createSsmClient> | undefined;
  const ssm = () => {
    client ??= createSsmClient(endpoints);
    return client;
  };
  return {
    transport: lazy(() => new SsmCommandTransport({ client: ssm() })),
    instances: lazy(() => new SsmInstanceDirectory({ client: ssm() })),
    secrets: lazy(() => new SsmParameterSecret({ client: ssm() })),
    close: () => client?.destroy(),
  };
};
