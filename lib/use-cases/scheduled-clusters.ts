/**
 * The clusters one run of a scheduled function works on. Each function has one EventBridge rule on a one-minute tick
 * (never one rule per cluster, so the stack stays the same size for any fleet); the tick evaluates every cluster's own
 * schedule for the minute the rule fired (the event's `time`, so a late invocation still decides for its minute). An
 * explicit `{ "cluster": "<id>" }` input (a manual invoke, the CLI) runs that cluster whatever its schedule says.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { ConfigError } from '../domain/errors.ts';
import { dueAt } from '../domain/schedule/schedule-due.ts';

export interface ScheduledRun {
  readonly clusters: ClusterConfig[];
  /** Clusters whose schedule expression does not parse: reported, the others still run. */
  readonly invalid: { readonly name: string; readonly problem: string }[];
}

/**
 * @example clustersForRun({ time: '2026-11-21T01:00:00Z' }, clusters, (c) => c.backupSchedule, new Date())
 */
export function clustersForRun(
  event: unknown,
  clusters: readonly ClusterConfig[],
  scheduleOf: (cluster: ClusterConfig) => string | undefined,
  now: Date,
): ScheduledRun {
  const input = (typeof event === 'object' && event !== null ? event : {}) as { cluster?: unknown; time?: unknown };
  if (input.cluster !== undefined) {
    const cluster = clusters.find((candidate) => candidate.id === input.cluster);
    if (cluster === undefined) {
      throw new ConfigError(
        `cluster ${JSON.stringify(input.cluster)} is not in the config (configured: ${clusters.map((c) => c.id).join(', ')}); fix the schedule input`,
      );
    }
    return { clusters: [cluster], invalid: [] };
  }
  const scheduled = typeof input.time === 'string' ? new Date(input.time) : Number.NaN;
  const at = scheduled instanceof Date && !Number.isNaN(scheduled.getTime()) ? scheduled : now;
  const items = clusters.flatMap((cluster) => {
    const expression = scheduleOf(cluster);
    return expression === undefined ? [] : [{ item: cluster, name: cluster.id, expression }];
  });
  const { due, invalid } = dueAt(items, at);
  return { clusters: due, invalid };
}
