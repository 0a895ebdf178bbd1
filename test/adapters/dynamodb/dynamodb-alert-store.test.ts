import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../../lib/domain/continuity/alert-state.ts';
import { CLUSTER, type Services, startServices } from '../../use-cases/continuity-test-setup.ts';

const alert = (subject: string, overrides: Partial<Alert> = {}): Alert => ({
  cluster: CLUSTER,
  kind: 'wal-gap',
  subject,
  severity: 'FAILURE',
  summary: 'lost',
  facts: { Segments: subject },
  nextStep: 'push it',
  state: 'open',
  openedAt: new Date('2026-11-21T12:00:00Z'),
  lastSeenAt: new Date('2026-11-21T12:05:00Z'),
  pending: 'opened',
  openNotified: false,
  failedAttempts: 2,
  ...overrides,
});

describe('DynamoDbAlertStore on dynalite', () => {
  let services: Services;
  beforeAll(async () => {
    services = await startServices();
  });
  afterAll(() => services.close());

  it('round-trips alerts, upserts by (kind, subject) and deletes', async () => {
    const many = Array.from({ length: 30 }, (_, i) => alert(`S${String(i).padStart(2, '0')}`));
    await services.alerts.putAlerts(many);
    const resolved = alert('S00', {
      state: 'resolved',
      resolvedAt: new Date('2026-11-21T13:00:00Z'),
      resolution: 'segment 00000001000000000000002A arrived',
      pending: undefined,
      openNotified: true,
      lastNotifiedAt: new Date('2026-11-21T13:00:01Z'),
      failedAttempts: 0,
    });
    await services.alerts.putAlerts([resolved]);
    const listed = await services.alerts.listAlerts(CLUSTER);
    expect(listed).toHaveLength(30);
    expect(listed.find((item) => item.subject === 'S00')).toEqual(
      Object.fromEntries(Object.entries(resolved).filter(([, value]) => value !== undefined)),
    );
    expect(listed.find((item) => item.subject === 'S01')).toEqual(many[1]);
    await services.alerts.deleteAlerts(many.slice(0, 29));
    expect((await services.alerts.listAlerts(CLUSTER)).map((item) => item.subject)).toEqual(['S29']);
  });
});
