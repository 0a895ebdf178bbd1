import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import { windowSplits } from '../../lib/domain/continuity/window-splits.ts';
import { buildClusterView } from '../../lib/web-view/build-cluster-view.ts';
import { renderClusterSection } from '../../lib/web-view/cluster-page.ts';
import {
  baseBackup,
  clusterConfig,
  type Services,
  startCatalogedServices,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

/**
 * Three lost segments with a backup after each of the first two: three restorable ranges and two gaps. The
 * one-line window of `walcat status` and of the web view header must not read as one unbroken range.
 */

const NOW = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);
const LOST = [20, 35, 50];

describe('a split window in walcat status and the web view header', () => {
  let services: Services;
  const cluster = clusterConfig();

  beforeAll(async () => {
    services = await startCatalogedServices({
      backups: (
        [
          [2, 3],
          [25, 26],
          [40, 41],
        ] as const
      ).map(([start, finish]) => baseBackup(start, finish, minute(finish - 61))),
      through: 60,
      missing: LOST,
      uploadedAt: (segNo) => minute(segNo - 61),
    });
  });
  afterAll(() => services.close());

  async function status(json: boolean): Promise<string> {
    const statusDeps = { catalog: () => services.catalog, alerts: () => services.alerts, color: false };
    return (await runCliCommand(statusCommand(statusDeps), cluster, { json, now: NOW })).text;
  }

  it('status says how many ranges and gaps, and lists the ranges', async () => {
    const lines = (await status(false)).split('\n');
    const at = lines.findIndex((line) => line.startsWith('  window'));
    expect(lines[at]).toBe('  window      3 ranges, 2 gaps:');
    expect(lines.slice(at + 1, at + 4)).toHaveLength(3);
    for (const line of lines.slice(at + 1, at + 4))
      expect(line).toMatch(/^ {16}2026-11-21 \S+ → 2026-11-21 \S+ {2}tl 1$/);
    expect(lines[at + 4]).toMatch(/^ {2}alerts/);
  });

  it('status --json keeps from/to and adds the ranges and the gap count', async () => {
    const [element] = JSON.parse(await status(true)) as [{ window: { ranges: unknown[]; gaps: number; from: string } }];
    expect(element.window.ranges).toHaveLength(3);
    expect(element.window.gaps).toBe(2);
    expect(element.window.from).toBe(minute(3 - 61).toISOString());
  });

  it('the web view header says the same', async () => {
    const view = await buildClusterView({ catalog: services.catalog }, cluster, NOW);
    expect(view.windows).toHaveLength(3);
    const html = renderClusterSection(view);
    expect(html).toMatch(/<dt>restorable<\/dt><dd>[^<]* in 3 ranges, 2 gaps \(see Restorable ranges\)<\/dd>/);
  });
});

describe('windowSplits', () => {
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 21, 0, minutes));
  it('counts a hole only where no range covers the time (timeline switches that meet leave none)', () => {
    expect(windowSplits([])).toEqual({ ranges: 0, holes: 0 });
    expect(windowSplits([{ from: at(0), to: at(10) }])).toEqual({ ranges: 1, holes: 0 });
    expect(
      windowSplits([
        { from: at(20), to: at(30) },
        { from: at(0), to: at(10) },
        { from: at(10), to: at(15) },
        { from: at(5), to: at(8) },
      ]),
    ).toEqual({ ranges: 4, holes: 1 });
  });
});
