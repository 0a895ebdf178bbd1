/**
 * The adapters of the local stack and of `walcat --local`: the same adapter set as a deployed function, over the
 * emulator endpoints the stack wrote into its `stack.json` (s3rver, dynalite, the stack's SSM-compatible endpoint).
 * Inside the stack's own process host commands run through the local shell transport, hosts resolve from the
 * stack's instance list, and Slack messages go straight to the local Slack receiver.
 */
import type { WalcatConfig } from '../domain/cluster.ts';
import { historyTextOrUndefined } from '../domain/wal/history-file-content.ts';
import type { CommandTransport } from '../ports/command-transport.ts';
import type { ContinuityMetrics } from '../ports/continuity-metrics.ts';
import type { InstanceDirectory } from '../ports/instance-directory.ts';
import type { Notifier } from '../ports/notifier.ts';
import { latestArchiverSignal } from '../use-cases/archiver-signal.ts';
import { type AdapterSet, createAdapterSet } from './adapter-set.ts';
import { type LocalEndpoints, localEndpoints } from './local-endpoints.ts';
import { createS3AdaptersWithThaw } from './s3-adapters.ts';
import { createSqsAdapters } from './sqs-adapters.ts';
import { createSsmAdapters } from './ssm-adapters.ts';

export { LOCAL_CREDENTIALS, type LocalEndpoints, localEndpoints } from './local-endpoints.ts';

export interface LocalAdapterSetOptions {
  readonly config: WalcatConfig;
  readonly stack: LocalEndpoints;
  /** In the stack's process: the local shell transport and its instances (otherwise the SSM endpoint). */
  readonly transport?: CommandTransport;
  readonly instances?: InstanceDirectory;
  /** In the stack's process: the local Slack receiver's URL, which every webhook parameter resolves to. */
  readonly slackUrl?: () => string;
  /** In the stack's process: the local alerts queue, which the alert-dispatch handler drains. */
  readonly notifier?: Notifier;
  /** Default: metrics are dropped (the terminal is no CloudWatch). */
  readonly metrics?: ContinuityMetrics;
  readonly region?: string;
}

export function localAdapterSet(options: LocalAdapterSetOptions): AdapterSet {
  const { slackUrl } = options;
  return createAdapterSet({
    config: options.config,
    endpoints: localEndpoints(options.stack, options.region),
    // The local stack and `walcat --local` run every use case, thaws included.
    s3: createS3AdaptersWithThaw,
    ssm: createSsmAdapters,
    sqs: createSqsAdapters,
    ...(options.transport ? { transport: options.transport } : {}),
    ...(options.instances ? { instances: options.instances } : {}),
    metrics: options.metrics ?? { record: () => undefined },
    decompress: historyTextOrUndefined,
    archiverSignal: latestArchiverSignal,
    ...(options.notifier ? { notifier: options.notifier } : {}),
    ...(slackUrl ? { secrets: { get: async () => slackUrl() } } : {}),
  });
}
