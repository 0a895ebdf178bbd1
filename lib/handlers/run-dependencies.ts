import type { ClusterConfig } from '../domain/cluster.ts';

/**
 * A scheduled function's tick only enqueues one run per due cluster (lib/handlers/cluster-fan-out.ts): it needs the
 * config and the cluster-run queue, not what a cluster's run calls. So a door may hand a handler its use case's
 * dependencies as a loader instead, and the clients and adapters behind them (the bundle's largest part) are then
 * imported by the first run of the container, never by a tick's cold start. Tests and the local stack hand the
 * dependencies themselves.
 */
export type RunDependencies<T extends object> = T | (() => Promise<T>);

/**
 * The dependencies, loaded on the first call and shared by the later ones. A load that failed is not remembered:
 * the next run tries again (and reports the same error if it persists).
 */
export function onDemand<T extends object>(deps: RunDependencies<T>): () => Promise<T> {
  // Resolved only when a run asks: resolving reads `then` of the object, which a tick must not touch either.
  if (typeof deps !== 'function') return () => Promise.resolve(deps);
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= deps().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** A loader of the run's dependencies, with the configured clusters a tick picks the due ones from. */
export interface ClustersAndLoader<T> {
  readonly clusters: readonly ClusterConfig[];
  readonly load: () => Promise<T>;
}

/** For the handlers whose tick reads the clusters from their dependencies (the probe, the drill). */
export type ClusterRunDependencies<T extends { readonly clusters: readonly ClusterConfig[] }> =
  | T
  | ClustersAndLoader<T>;

/** The clusters, at once, and the dependencies on demand. */
export function clustersThenOnDemand<T extends { readonly clusters: readonly ClusterConfig[] }>(
  deps: ClusterRunDependencies<T>,
): { readonly clusters: readonly ClusterConfig[]; readonly runDeps: () => Promise<T> } {
  if ('load' in deps && typeof deps.load === 'function') {
    return { clusters: deps.clusters, runDeps: onDemand(deps.load) };
  }
  return { clusters: deps.clusters, runDeps: onDemand(deps as T) };
}
