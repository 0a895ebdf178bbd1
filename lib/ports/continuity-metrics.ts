import type { ClusterHealth } from '../domain/continuity/cluster-health.ts';

/** Publishes a cluster's continuity figures as metrics (CloudWatch EMF in AWS). */
export interface ContinuityMetrics {
  record(health: ClusterHealth): void;
}
