/**
 * Stored alerts of a cluster (open, and resolved ones kept for a while), one item per (kind, subject): the state
 * that makes alerts open once and resolve once across scheduled runs.
 */
import type { ClusterId } from '../domain/cluster.ts';
import type { Alert } from '../domain/continuity/alert-state.ts';

export interface AlertStore {
  listAlerts(cluster: ClusterId): Promise<Alert[]>;
  /** Upserts by (cluster, kind, subject). */
  putAlerts(alerts: readonly Alert[]): Promise<void>;
  deleteAlerts(alerts: readonly Alert[]): Promise<void>;
  /**
   * Every cluster with an open alert or a message still owed, configured or not: how alerts of a cluster removed
   * from the configuration are found, since no per-cluster run visits it any more.
   */
  clustersWithOpenAlerts(): Promise<ClusterId[]>;
}
