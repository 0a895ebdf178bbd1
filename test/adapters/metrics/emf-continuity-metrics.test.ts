import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfContinuityMetrics } from '../../../lib/adapters/metrics/emf-continuity-metrics.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';

afterEach(() => vi.restoreAllMocks());

describe('EmfContinuityMetrics', () => {
  it('prints one EMF document per cluster with the four figures and a cluster dimension', () => {
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    new EmfContinuityMetrics({ namespace: 'walcat' }).record({
      cluster: 'orders-main' as ClusterId,
      lastBackup: { name: 'b', finishTime: new Date(0), status: 'complete', ageSeconds: 3600 },
      walHead: { timeline: 1, segment: '000000010000000000000002', uploadedAt: new Date(0), ageSeconds: 42 },
      gaps: { status: 'FAILURE', lost: 3, uploading: 1 },
      window: { from: new Date(0), to: new Date(0) },
      windowHours: 167.5,
    });
    const documents = lines.map((line) => JSON.parse(line));
    expect(documents).toHaveLength(1);
    const emf = documents[0];
    expect(emf).toMatchObject({
      cluster: 'orders-main',
      ArchiveLagSeconds: 42,
      LostSegments: 3,
      WindowHours: 167.5,
      LastBackupAgeSeconds: 3600,
    });
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: 'walcat',
      Dimensions: [expect.arrayContaining(['cluster'])],
    });
  });
});
