/**
 * The web view in a real browser (Debian's headless Chromium driven by playwright-core): what a person sees of a
 * catalog with a known gap. The page is served by the real web view server over the fixture catalog.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebViewServer, type WebViewServer } from '../../lib/local-stack/web-view-server.ts';
import type { ClusterView } from '../../lib/web-view/cluster-view.ts';
import { renderTimelineSvg } from '../../lib/web-view/timeline-svg.ts';
import { createWebViewApp } from '../../lib/web-view/web-view-app.ts';
import {
  CLUSTER,
  DRILL,
  fixtureCatalog,
  HOSTILE_NAME,
  HOSTILE_PROBLEM,
  HOSTILE_USER_DATA,
  MISSING,
  NOW,
  segmentName,
} from './web-view-fixture.ts';

const CHROMIUM = '/usr/bin/chromium';
// Fail the file loudly, naming the fix: a beforeAll failure would only mark its tests as skipped.
if (!existsSync(CHROMIUM)) {
  throw new Error(
    `${CHROMIUM} not found: the web view tests need Debian's chromium; run npm run setup (or: sudo apt-get install -y --no-install-recommends chromium)`,
  );
}
const SCREENSHOT = 'test-output/web-view.png';

let server: WebViewServer;
let context: BrowserContext;
let page: Page;
let profile: string;

/** The browser globals the assertions use (the test is type-checked without the DOM library). */
interface BrowserGlobals {
  getComputedStyle(element: unknown): { fill: string };
  __pwned?: number;
}

interface Box {
  readonly x: number;
  readonly width: number;
}

/** Positions agree within 1.5 px (strokes and glyph side bearings add a fraction of a pixel). */
function expectNear(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1.5);
}

async function box(selector: string): Promise<Box> {
  const found = await page.locator(selector).boundingBox();
  if (!found) throw new Error(`${selector} is not visible`);
  return found;
}

beforeAll(async () => {
  server = await startWebViewServer({
    port: 0,
    app: createWebViewApp({
      clusters: [CLUSTER],
      deps: { catalog: fixtureCatalog(), jobs: async () => [DRILL] },
      now: () => NOW,
    }),
  });
  profile = mkdtempSync(join(tmpdir(), 'walcat-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 1000 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(server.url);
});

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

describe('the web view in Chromium', () => {
  it('draws the gap exactly between the coverage bars around the missing segments', async () => {
    const gap = page.locator('svg.timeline g.gap');
    await expect(gap.count()).resolves.toBe(1);
    await expect(gap.getAttribute('data-from')).resolves.toBe(segmentName(MISSING.from));
    await expect(gap.getAttribute('data-to')).resolves.toBe(segmentName(MISSING.to));
    await expect(page.locator('svg.timeline .gap-label').textContent()).resolves.toBe('3 segments lost');

    const mark = await box('svg.timeline g.gap rect.gap-mark');
    const before = await box(`svg.timeline rect.coverage[data-to="${segmentName(MISSING.from - 1)}"]`);
    const after = await box(`svg.timeline rect.coverage[data-from="${segmentName(MISSING.to + 1)}"]`);
    // The red mark starts where the bar ending at segment 8 ends and stops where the bar from segment 12 begins.
    expectNear(mark.x, before.x + before.width);
    expectNear(mark.x + mark.width, after.x);
    expect(mark.width).toBeGreaterThan(20);
    // And it is red, as a person sees it.
    await expect(
      page
        .locator('svg.timeline g.gap rect.gap-mark')
        .evaluate((element) => (globalThis as unknown as BrowserGlobals).getComputedStyle(element).fill),
    ).resolves.toBe('rgb(214, 39, 40)');
  });

  it('labels both ends of each restorable range with its time, at the ends of the green band', async () => {
    const froms = await page.locator('svg.timeline text.window-from').allTextContents();
    const tos = await page.locator('svg.timeline text.window-to').allTextContents();
    // Backup 1 finished 10:01 and its chain ends at segment 8 (uploaded 10:08); backup 2 finished 10:14:30 and its
    // chain runs to segment 20 (10:20).
    expect(froms).toEqual(['from 10:01:00', 'from 10:14:30']);
    expect(tos).toEqual(['to 10:08:00', 'to 10:20:00']);
    const band = await box('svg.timeline g.window >> nth=0 >> rect.window-band');
    const fromLabel = await box('svg.timeline text.window-from >> nth=0');
    const toLabel = await box('svg.timeline text.window-to >> nth=0');
    expectNear(fromLabel.x, band.x);
    expectNear(toLabel.x + toLabel.width, band.x + band.width);
    // The first range ends where the gap begins.
    const mark = await box('svg.timeline g.gap rect.gap-mark');
    expectNear(band.x + band.width, mark.x);
  });

  it('shows the retention tiers of kept backups and the last drill', async () => {
    const tiers = await page.locator('svg.timeline text.tier-label').allTextContents();
    expect(tiers.length).toBe(2);
    expect(tiers.some((text) => text.startsWith('newest'))).toBe(true);
    await expect(page.locator('svg.timeline g.drill-marker').textContent()).resolves.toContain('drill succeeded');
    await expect(page.locator('tr.gap-row').first().textContent()).resolves.toContain(segmentName(MISSING.from));
  });

  it('shows hostile backup names, problems and user data as text and runs none of them', async () => {
    const pwned = await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__pwned);
    expect(pwned).toBeUndefined();
    await expect(page.locator('img').count()).resolves.toBe(0);
    await expect(page.locator('script').count()).resolves.toBe(0);
    const row = page.locator('tr.backup-row', { hasText: 'incomplete' });
    await expect(row.locator('td').first().textContent()).resolves.toBe(HOSTILE_NAME);
    await expect(row.textContent()).resolves.toContain(HOSTILE_PROBLEM);
    await expect(page.locator('body').textContent()).resolves.toContain(HOSTILE_USER_DATA.note);
  });

  it('saves a screenshot of the page', async () => {
    mkdirSync('test-output', { recursive: true });
    const image = await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(image.byteLength).toBeGreaterThan(10_000);
  });
});

/** A cluster whose labels crowd: kept backups minutes apart, two one-segment gaps side by side, three ranges. */
function crowdedView(): ClusterView {
  const at = (minutes: number) => new Date(Date.UTC(2026, 10, 20, 0, minutes)).toISOString();
  const backup = (minutes: number, reasons: string[]) => ({
    name: `base_00000001000000000000000${minutes % 10}`,
    status: 'complete',
    permanent: false,
    startTime: at(minutes - 1),
    finishTime: at(minutes),
    retention: { decision: 'keep' as const, reasons },
  });
  const gap = (segment: string, after: number) => ({
    timeline: 1,
    from: segment,
    to: segment,
    count: 1,
    status: 'lost' as const,
    neededBy: [],
    after: at(after),
    before: at(after + 2),
  });
  return {
    cluster: 'crowded',
    generatedAt: at(24 * 60),
    status: 'FAILURE',
    walSegmentSize: '16 MiB',
    backups: [backup(600, ['pitr-window']), backup(610, ['last 3']), backup(620, ['daily 2026-11-20'])],
    coverage: [],
    gaps: [gap('000000010000000000000010', 700), gap('000000010000000000000012', 704)],
    findings: [],
    windows: [
      { timeline: 1, from: at(600), to: at(700), baseBackup: 'b1' },
      { timeline: 1, from: at(706), to: at(712), baseBackup: 'b2' },
      { timeline: 1, from: at(714), to: at(720), baseBackup: 'b3' },
    ],
    retention: { source: 'computed', keep: [], deleteBackups: [], deleteWal: [] },
    jobs: [],
    alerts: [],
  };
}

describe('timeline labels in Chromium', () => {
  it('never draw one label over another, however close the marks are', async () => {
    const crowded = await context.newPage();
    try {
      await crowded.setContent(`<!doctype html><html><body>${renderTimelineSvg(crowdedView())}</body></html>`);
      const boxes = await crowded.locator('svg.timeline text').evaluateAll((elements) =>
        elements.map((element) => {
          const rect = (
            element as unknown as { getBoundingClientRect(): Box & { y: number; height: number } }
          ).getBoundingClientRect();
          return {
            text: (element as unknown as { textContent: string }).textContent,
            x: rect.x,
            y: rect.y,
            width: rect.width,
            height: rect.height,
          };
        }),
      );
      const overlaps: string[] = [];
      boxes.forEach((a, i) => {
        for (const b of boxes.slice(i + 1)) {
          const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
          if (!apart) overlaps.push(`${JSON.stringify(a.text)} over ${JSON.stringify(b.text)}`);
        }
      });
      expect(overlaps).toEqual([]);
      const texts = boxes.map((entry) => entry.text);
      expect(texts).toContain('2 gaps: 2 segments lost');
      expect(texts).toContain('pitr-window');
      expect(texts).toContain('last 3');
    } finally {
      await crowded.close();
    }
  });
});
