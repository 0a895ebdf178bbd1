import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliCommand } from '../../lib/cli/cli-command.ts';
import { gapsCommand } from '../../lib/cli/commands/gaps.ts';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import { windowCommand } from '../../lib/cli/commands/window.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../lib/domain/wal/wal-segment.ts';
import {
  baseBackup,
  CLUSTER,
  clusterConfig,
  type Services,
  startCatalogedServices,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);

const run = (command: CliCommand, cluster: ClusterConfig, json: boolean) =>
  runCliCommand(command, cluster, { json, now: NOW });

describe('continuity CLI commands', () => {
  let services: Services;
  const cluster = clusterConfig();
  const backup = baseBackup(2, 3, minute(-50));

  beforeAll(async () => {
    // Segments 1..50, segment 20 never archived; the last one a minute before NOW.
    services = await startCatalogedServices({
      backups: [backup],
      through: 50,
      missing: [20],
      uploadedAt: (segNo) => minute(segNo - 51),
    });
    await services.alerts.putAlerts([
      {
        cluster: CLUSTER,
        kind: 'wal-gap',
        subject: '000000010000000000000014',
        severity: 'FAILURE',
        summary: 'lost',
        facts: {},
        nextStep: 'push it',
        state: 'open',
        openedAt: minute(-10),
        lastSeenAt: minute(-1),
        openNotified: true,
        failedAttempts: 0,
      },
    ]);
  });
  afterAll(() => services.close());

  const deps = () => ({ catalog: () => services.catalog, alerts: () => services.alerts, color: false });

  it('gaps --json prints the contract document and exits 1 on FAILURE', async () => {
    const { code, text } = await run(gapsCommand(deps()), cluster, true);
    expect(code).toBe(1);
    expect(JSON.parse(text)).toEqual({
      cluster: 'orders-main',
      status: 'FAILURE',
      gaps: [
        { timeline: 1, from: '000000010000000000000014', to: '000000010000000000000014', count: 1, status: 'lost' },
      ],
      deletedByRetention: [],
      findings: [],
    });
  });

  it('window --json prints ranges split by the gap, oldest first', async () => {
    const { code, text } = await run(windowCommand(deps()), cluster, true);
    expect(code).toBe(0);
    expect(JSON.parse(text)).toMatchObject({
      cluster: 'orders-main',
      ranges: [
        { timeline: 1, from: minute(-50).toISOString(), to: minute(-32).toISOString(), baseBackup: backup.name },
      ],
      lifecycle: [],
    });
  });

  it('status --json prints one element per cluster with the open alerts', async () => {
    const { code, text } = await run(statusCommand(deps()), cluster, true);
    expect(code).toBe(1);
    expect(JSON.parse(text)).toEqual([
      {
        cluster: 'orders-main',
        lastBackup: { name: backup.name, finishTime: minute(-50).toISOString(), status: 'complete', ageSeconds: 3000 },
        walHead: {
          timeline: 1,
          segment: '000000010000000000000032',
          uploadedAt: minute(-1).toISOString(),
          ageSeconds: 60,
        },
        gaps: { status: 'FAILURE', lost: 1, uploading: 0 },
        window: {
          from: minute(-50).toISOString(),
          to: minute(-32).toISOString(),
          ranges: [{ timeline: 1, from: minute(-50).toISOString(), to: minute(-32).toISOString() }],
          gaps: 0,
        },
        alerts: [{ kind: 'wal-gap', subject: '000000010000000000000014', since: minute(-10).toISOString() }],
        lastDrill: null,
        lifecycle: [],
      },
    ]);
  });

  it('status shows the last restore drill with its measured restore time', async () => {
    const lastDrill = async () => ({
      jobId: 'drill-20261121-1030-ab12',
      status: 'succeeded' as const,
      target: 'lsn 0/2A000028',
      baseBackup: backup.name,
      startedAt: minute(-30).toISOString(),
      finishedAt: minute(-27).toISOString(),
      restoreSeconds: 190,
      checks: [
        { name: 'timeline' as const, status: 'passed' as const },
        { name: 'amcheck' as const, status: 'passed' as const },
      ],
      ageSeconds: 1800,
    });
    const json = await run(statusCommand({ ...deps(), lastDrill }), cluster, true);
    expect(JSON.parse(json.text)[0].lastDrill).toMatchObject({
      status: 'succeeded',
      target: 'lsn 0/2A000028',
      restoreSeconds: 190,
      checks: [
        { name: 'timeline', status: 'passed' },
        { name: 'amcheck', status: 'passed' },
      ],
      finishedAt: minute(-27).toISOString(),
    });
    const human = await run(statusCommand({ ...deps(), lastDrill }), cluster, false);
    expect(human.text.split('\n').at(-1)).toBe(
      '  last drill  succeeded 30m ago, restored in 3m; checks timeline passed, amcheck passed',
    );
  });

  it('status prints a short human screen, coloured only when asked', async () => {
    const plain = await run(statusCommand(deps()), cluster, false);
    expect(plain.text.split('\n')).toEqual([
      'orders-main  FAILURE',
      `  last backup 50m ago  ${backup.name}, 2026-11-21 11:10:00Z`,
      '  WAL head    1m ago  000000010000000000000032, 2026-11-21 11:59:00Z',
      '  gaps        1 lost, 0 uploading',
      '  window      2026-11-21 11:10:00Z → 2026-11-21 11:28:00Z',
      '  alerts      wal-gap 000000010000000000000014 (since 2026-11-21 11:50:00Z)',
      '  last drill  none recorded',
    ]);
    expect(plain.text).not.toContain('\u001b[');
    const coloured = await run(statusCommand({ ...deps(), color: true }), cluster, false);
    expect(coloured.text).toContain('\u001b[31m');
  });

  it('gaps prints the missing range for people', async () => {
    const { text } = await run(gapsCommand(deps()), cluster, false);
    expect(text).toBe('orders-main  FAILURE\n  lost      tl 1  000000010000000000000014  (1 segment)');
  });

  it('gaps says a hole retention recorded deleting is not a gap, naming the plan (run last: it changes the state)', async () => {
    const tombstone = {
      timeline: timelineId(1),
      fromSegNo: segmentNumber(20),
      toSegNo: segmentNumber(20),
      planId: 'orders-main-20261120T030000Z-b0b0',
      deletedAt: minute(-5),
    };
    await services.catalog.updateClusterState(CLUSTER, { retentionTombstones: [tombstone] });
    const human = await run(gapsCommand(deps()), cluster, false);
    expect(human.code).toBe(0);
    expect(human.text).toBe(
      [
        'orders-main  OK',
        '  no gap: WAL is missing only where walcat retention deleted it',
        `  retention tl 1  000000010000000000000014  (1 segment deleted by plan ${tombstone.planId}: not a gap)`,
      ].join('\n'),
    );
    const json = JSON.parse((await run(gapsCommand(deps()), cluster, true)).text);
    expect(json.deletedByRetention).toEqual([
      {
        timeline: 1,
        from: '000000010000000000000014',
        to: '000000010000000000000014',
        count: 1,
        planId: tombstone.planId,
      },
    ]);
  });
});
