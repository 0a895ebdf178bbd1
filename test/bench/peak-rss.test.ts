/**
 * The peak RSS a benchmark probe reports is its own: what it touched counts, what the process that spawned it held
 * does not (getrusage's maxRSS counts the forked copy of the runner, which is how the sync-memory probes reported the
 * runner's 366 MB after the benchmarks before them).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProbe } from '../../bench/support/peak-rss.ts';

const MIB = 1024 * 1024;
const probe = fileURLToPath(new URL('./fixtures/touching-probe.ts', import.meta.url));

interface TouchingProbeResult {
  readonly touched: number;
  readonly peakRssBytes: number;
}

describe('a probe in a fresh process', () => {
  it('counts the memory it touches itself', async () => {
    const result = await runProbe<TouchingProbeResult>(probe, ['192']);
    expect(result.touched).toBe(192 * MIB);
    expect(result.peakRssBytes).toBeGreaterThanOrEqual(192 * MIB);
  });

  it('does not count what the process that spawned it holds', async () => {
    // The spawning process holds twice what a probe that touches nothing could reach (Node and tsx: ~90 MiB).
    const ballast = Buffer.alloc(320 * MIB, 1);
    expect(process.memoryUsage().rss).toBeGreaterThan(ballast.length);
    const result = await runProbe<TouchingProbeResult>(probe, ['0']);
    expect(result.peakRssBytes).toBeGreaterThan(0);
    expect(result.peakRssBytes).toBeLessThan(ballast.length / 2);
    expect(ballast[ballast.length - 1]).toBe(1);
  });
});
