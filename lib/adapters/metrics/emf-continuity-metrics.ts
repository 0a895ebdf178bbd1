import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { ClusterHealth } from '../../domain/continuity/cluster-health.ts';
import type { ContinuityMetrics } from '../../ports/continuity-metrics.ts';

export interface EmfContinuityMetricsOptions {
  readonly namespace: string;
  readonly serviceName?: string;
}

/**
 * Continuity figures as CloudWatch embedded-metric-format lines, one document per cluster with a `cluster`
 * dimension: ArchiveLagSeconds, LostSegments, WindowHours, LastBackupAgeSeconds. A figure that does not exist yet
 * (no WAL, no backup) is left out rather than published as zero, so alarms on it see missing data, not health.
 */
export class EmfContinuityMetrics implements ContinuityMetrics {
  readonly #options: EmfContinuityMetricsOptions;

  constructor(options: EmfContinuityMetricsOptions) {
    this.#options = options;
  }

  record(health: ClusterHealth): void {
    const metrics = new Metrics({
      namespace: this.#options.namespace,
      serviceName: this.#options.serviceName ?? 'walcat',
      defaultDimensions: { cluster: health.cluster },
    });
    if (health.walHead !== undefined) {
      metrics.addMetric('ArchiveLagSeconds', MetricUnit.Seconds, health.walHead.ageSeconds);
    }
    metrics.addMetric('LostSegments', MetricUnit.Count, health.gaps.lost);
    metrics.addMetric('WindowHours', MetricUnit.Count, Math.round(health.windowHours * 100) / 100);
    if (health.lastBackup !== undefined) {
      metrics.addMetric('LastBackupAgeSeconds', MetricUnit.Seconds, health.lastBackup.ageSeconds);
    }
    metrics.publishStoredMetrics();
  }
}
