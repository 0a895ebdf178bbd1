import { describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { WalcatError } from '../../lib/domain/errors.ts';
import { BucketConfigurationUnsupportedError, type BucketInspector } from '../../lib/ports/bucket-inspector.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { doctorCluster } from '../../lib/use-cases/doctor-cluster.ts';
import { dailyBackups, NOW, ROOT } from '../domain/bucket/bucket-fixtures.ts';
import { CLUSTER, DAY, policyOf, SIZE } from '../domain/retention/retention-fixtures.ts';

const target = { tagKey: 'walcat:cluster', tagValue: 'orders-main' };
const cluster = {
  id: CLUSTER,
  storage: { bucket: 'acme-pg-backups', prefix: ROOT },
  walSegmentSize: SIZE,
  retention: policyOf({ keepDaily: 7, pitrWindowMs: DAY }),
  hosts: { target },
  drill: { target: { tagKey: 'walcat:drill', tagValue: 'orders-main' } },
} as unknown as ClusterConfig;

const inspector = (overrides: Partial<BucketInspector> = {}): BucketInspector => ({
  lifecycleRules: async () => [],
  versioning: async () => 'unversioned',
  objectLock: async () => ({ enabled: false }),
  encryption: async () => undefined,
  notifications: async () => ({ targets: [], eventBridge: true }),
  objectRetention: async () => ({ legalHold: false }),
  ...overrides,
});

const catalog = {
  listBackups: async () => dailyBackups('2026-11-01', '2026-12-01'),
  getClusterState: async () => ({ cluster: CLUSTER, version: 3, lastFullSyncAt: new Date(NOW.getTime() - 3_600_000) }),
} as unknown as CatalogStore;

const statuses = (checks: readonly { check: string; status: string }[]) =>
  Object.fromEntries(checks.map((check) => [check.check, check.status]));

describe('doctorCluster', () => {
  it('checks the hosts and drill hosts by tag when an instance directory is given', async () => {
    const asked: string[] = [];
    const report = await doctorCluster(
      {
        inspector: inspector(),
        catalog,
        instances: {
          instancesWithTag: async (key, value) => {
            asked.push(`${key}=${value}`);
            return key === 'walcat:cluster' ? ['i-0a1', 'i-0b2'] : [];
          },
        },
      },
      cluster,
      { now: NOW },
    );
    expect(asked).toEqual(['walcat:cluster=orders-main', 'walcat:drill=orders-main']);
    expect(statuses(report.checks)).toMatchObject({ hosts: 'ok', 'drill-hosts': 'fail' });
    const drill = report.checks.find((check) => check.check === 'drill-hosts');
    expect(drill?.detail).toBe(
      'no SSM-managed instance with tag walcat:drill=orders-main is online: walcat cannot run restore drills for cluster orders-main',
    );
  });

  it('a configuration walcat may not read fails only its own checks; the others still run', async () => {
    const denied = new WalcatError(
      'bucket acme-pg-backups: walcat may not read the lifecycle configuration (AccessDenied)',
    );
    const report = await doctorCluster(
      { inspector: inspector({ lifecycleRules: async () => Promise.reject(denied) }), catalog },
      cluster,
      { now: NOW },
    );
    expect(statuses(report.checks)).toEqual({
      notifications: 'ok',
      lifecycle: 'fail',
      'incomplete-uploads': 'fail',
      versioning: 'fail',
      'object-lock': 'ok',
      encryption: 'ok',
      'catalog-freshness': 'ok',
    });
    expect(report.checks.find((check) => check.check === 'lifecycle')?.detail).toBe(denied.message);
  });

  it('an endpoint that does not implement a configuration warns instead of failing', async () => {
    const unsupported = new BucketConfigurationUnsupportedError('bucket acme-pg-backups: NotImplemented');
    const report = await doctorCluster(
      { inspector: inspector({ objectLock: async () => Promise.reject(unsupported) }), catalog },
      cluster,
      { now: NOW },
    );
    expect(statuses(report.checks)['object-lock']).toBe('warn');
  });
});
