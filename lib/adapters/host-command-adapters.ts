/**
 * The adapters host-command use cases need (SSM transport, job store), built from the runtime environment: one
 * place for the three Lambda entry points (backup scheduler, job tracker, archiver probe) instead of three copies.
 */
import { randomUUID } from 'node:crypto';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ClusterConfig, WalcatConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { HostCommandDependencies } from '../use-cases/dispatch-backup.ts';
import { DynamoDbJobStore } from './dynamodb/dynamodb-job-store.ts';
import { SsmCommandTransport } from './ssm/ssm-command-transport.ts';

/** CloudWatch Logs group receiving the full output of host commands (SSM keeps only a truncated copy inline). */
export const HOST_COMMAND_LOG_GROUP = '/walcat/host-commands';

export interface HostCommandAdapters extends HostCommandDependencies {
  readonly transport: CommandTransport;
  readonly jobs: JobStore;
}

/** Built on the process's shared clients (lib/adapters/adapter-set.ts), not on clients of its own. */
export function createHostCommandAdapters(
  config: WalcatConfig,
  clients: { readonly ssm: SSMClient; readonly dynamodb: DynamoDBDocumentClient },
): HostCommandAdapters {
  return {
    transport: new SsmCommandTransport({ client: clients.ssm }),
    jobs: new DynamoDbJobStore({ client: clients.dynamodb, tableName: config.catalogTable }),
    newJobId: () => randomUUID(),
    cloudWatchLogGroup: HOST_COMMAND_LOG_GROUP,
  };
}

/** The cluster named by a scheduled event's input, or an error naming the configured ids. */
export function clusterByName(clusters: readonly ClusterConfig[], id: unknown): ClusterConfig {
  const cluster = clusters.find((candidate) => candidate.id === id);
  if (cluster === undefined) {
    throw new ConfigError(
      `cluster ${JSON.stringify(id)} is not in the config (configured: ${clusters.map((c) => c.id).join(', ')}); fix the schedule input`,
    );
  }
  return cluster;
}
