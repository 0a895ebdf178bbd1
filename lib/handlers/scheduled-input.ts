/**
 * What scheduled events carry, parsed once for every scheduled handler: the run's time (EventBridge's `time`, the
 * clock when a local or test invoke leaves it out) and the cluster a per-cluster rule names in its input.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';

/** The event's `time` when it is a valid timestamp, else the clock (local invokes, hand-written events). */
export function scheduledTime(event: unknown, clock: () => Date = () => new Date()): Date {
  const time = (event as { time?: unknown } | null | undefined)?.time;
  const parsed = typeof time === 'string' ? new Date(time) : undefined;
  return parsed === undefined || Number.isNaN(parsed.getTime()) ? clock() : parsed;
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
