import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, ScheduledEvent } from 'aws-lambda';
import type { WalcatConfig } from '../lib/domain/cluster.ts';
import { runScheduledRetention, type ScheduledRetentionDependencies } from '../lib/use-cases/scheduled-retention.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/** The daily EventBridge schedule: per cluster, apply the open plan once its grace passed, then plan anew. */
export function createRetentionHandler(deps: ScheduledRetentionDependencies, config: WalcatConfig, logger: Logger) {
  return middy(async (event: ScheduledEvent, context: Context) => {
    const eventTime = new Date(event.time);
    const now = Number.isNaN(eventTime.getTime()) ? new Date() : eventTime;
    const failures: { cluster: string; error: unknown }[] = [];
    let done = 0;
    for (const cluster of config.clusters) {
      try {
        // Stop deleting a minute before the timeout: the plan stays `applying` and tomorrow's run resumes it.
        const shouldStop = () =>
          typeof context.getRemainingTimeInMillis === 'function' && context.getRemainingTimeInMillis() < 60_000;
        const outcome = await runScheduledRetention({ ...deps, shouldStop }, cluster, now);
        logger.info('retention run', { ...outcome, applied: outcome.applied?.status });
        done++;
      } catch (error) {
        // One cluster's storage trouble must not stop the others; the run is retried only if all failed.
        failures.push({ cluster: cluster.id, error });
        logger.error('retention run failed', { cluster: cluster.id, error: error as Error });
      }
    }
    if (failures.length > 0 && done === 0) throw failures[0]?.error;
    return { clusters: done, failed: failures.length };
  });
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  const deps: ScheduledRetentionDependencies = {
    catalog: adapters.catalog(),
    objects: adapters.objectStore(),
    serviceClock: adapters.objectStore(),
    plans: adapters.plans(),
    notifier: adapters.notifier(),
  };
  return createRetentionHandler(deps, adapters.config, new Logger({ serviceName: 'walcat-retention' }));
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: ScheduledEvent, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
