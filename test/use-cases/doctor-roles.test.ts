import { describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../lib/domain/bucket/bucket-checks.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { BucketInspector } from '../../lib/ports/bucket-inspector.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import {
  PermissionSimulationUnavailableError,
  type PermissionSimulator,
} from '../../lib/ports/permission-simulator.ts';
import { doctorCluster } from '../../lib/use-cases/doctor-cluster.ts';
import { NOW, ROOT } from '../domain/bucket/bucket-fixtures.ts';
import { CLUSTER, DAY, policyOf, SIZE } from '../domain/retention/retention-fixtures.ts';

const KEY = 'arn:aws:kms:eu-west-1:123456789012:key/1111-2222';
const cluster = {
  id: CLUSTER,
  storage: { bucket: 'acme-pg-backups', prefix: ROOT, kmsKeyArn: KEY },
  walSegmentSize: SIZE,
  retention: policyOf({ keepDaily: 7, pitrWindowMs: DAY }),
  alerts: { slackWebhookParameter: '/walcat/slack/orders' },
} as unknown as ClusterConfig;
const ROLES = {
  catalogIngest: 'arn:aws:iam::123456789012:role/walcat-prod-CatalogIngestRole-A1',
  alertDispatch: 'arn:aws:iam::123456789012:role/walcat-prod-AlertDispatchRole-B2',
  retention: 'arn:aws:iam::123456789012:role/walcat-prod-RetentionRole-C3',
};
const OBJECTS = `arn:aws:s3:::acme-pg-backups/${ROOT}*`;

const inspector: BucketInspector = {
  lifecycleRules: async () => [],
  versioning: async () => 'unversioned',
  objectLock: async () => ({ enabled: false }),
  encryption: async () => undefined,
  notifications: async () => ({ targets: [], eventBridge: true }),
  objectRetention: async () => ({ legalHold: false }),
};
const catalog = {
  listBackups: async () => [],
  getClusterState: async () => ({ cluster: CLUSTER, version: 1, lastFullSyncAt: NOW }),
} as unknown as CatalogStore;

/** A simulator over a fixed grant list: `role action resource` triples; everything else is an implicit deny. */
function grants(allowed: readonly string[]): PermissionSimulator & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    simulate: async (role, actions, resources) =>
      actions.flatMap((action) =>
        resources.map((resource) => {
          asked.push(`${role} ${action} ${resource}`);
          const allowedHere = allowed.includes(`${role} ${action} ${resource}`);
          return { action, resource, allowed: allowedHere, decision: allowedHere ? 'allowed' : 'implicitDeny' };
        }),
      ),
  };
}

const roleChecksOf = (checks: readonly DoctorCheck[]) => checks.filter((c) => c.check.startsWith('role-'));

describe('doctorCluster: the deployed functions’ roles', () => {
  it('asks for each role what it needs for the cluster and fails, naming the missing action, when denied', async () => {
    const simulator = grants([
      `${ROLES.catalogIngest} s3:GetObject ${OBJECTS}`,
      `${ROLES.alertDispatch} ssm:GetParameter arn:aws:ssm:eu-west-1:123456789012:parameter/walcat/slack/orders`,
      `${ROLES.retention} s3:DeleteObject ${OBJECTS}`,
      `${ROLES.retention} s3:DeleteObjectVersion ${OBJECTS}`,
    ]);
    const report = await doctorCluster({ inspector, catalog, permissions: simulator }, cluster, {
      now: NOW,
      roles: ROLES,
      region: 'eu-west-1',
    });
    const checks = roleChecksOf(report.checks);
    expect(checks.map((c) => [c.check, c.status])).toEqual([
      ['role-ingest', 'ok'],
      ['role-ingest-kms', 'fail'],
      ['role-alert-dispatch', 'ok'],
      ['role-retention', 'fail'],
    ]);
    const retention = report.checks.find((c) => c.check === 'role-retention');
    expect(retention?.detail).toBe(`role ${ROLES.retention} lacks s3:GetObjectRetention on ${OBJECTS} (implicitDeny)`);
    expect(retention?.fix).toContain(`aws iam simulate-principal-policy --policy-source-arn ${ROLES.retention}`);
    expect(report.checks.find((c) => c.check === 'role-ingest-kms')?.detail).toContain(`kms:Decrypt on ${KEY}`);
  });

  it('reports a simulation that cannot be made as not checked, never ok', async () => {
    const simulator: PermissionSimulator = {
      simulate: async () => {
        throw new PermissionSimulationUnavailableError('access denied to iam:SimulatePrincipalPolicy');
      },
    };
    const report = await doctorCluster({ inspector, catalog, permissions: simulator }, cluster, {
      now: NOW,
      roles: ROLES,
    });
    const checks = roleChecksOf(report.checks);
    expect(checks).toHaveLength(4);
    for (const check of checks) {
      expect(check).toMatchObject({ status: 'warn' });
      expect(check.detail).toMatch(/^not checked: .*\(access denied to iam:SimulatePrincipalPolicy\)$/);
    }
  });

  it('fails a check whose simulation broke for another reason, and skips what the config does not name', async () => {
    const plain = { ...cluster, storage: { bucket: 'acme-pg-backups', prefix: ROOT }, alerts: {} } as ClusterConfig;
    const simulator: PermissionSimulator = {
      simulate: async () => {
        throw new Error('Rate exceeded');
      },
    };
    const report = await doctorCluster({ inspector, catalog, permissions: simulator }, plain, {
      now: NOW,
      roles: ROLES,
    });
    expect(roleChecksOf(report.checks)).toEqual([
      { check: 'role-ingest', status: 'fail', detail: 'Rate exceeded', fix: 'grant the permission named, or retry' },
      { check: 'role-retention', status: 'fail', detail: 'Rate exceeded', fix: 'grant the permission named, or retry' },
    ]);
  });

  it('adds no role checks when no role is named', async () => {
    const report = await doctorCluster({ inspector, catalog, permissions: grants([]) }, cluster, { now: NOW });
    expect(roleChecksOf(report.checks)).toEqual([]);
  });
});
