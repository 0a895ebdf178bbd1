/**
 * The sync benchmark's clocks: the virtual one gives a chain of requests exactly its latencies and overlapping
 * chains the time of the longest, whatever work (promises, setImmediate hops) runs between requests; both count
 * requests and how many were in flight.
 */
import { describe, expect, it } from 'vitest';
import { VirtualLatency, WallClockLatency } from '../../bench/support/request-clock.ts';

/** Work between two requests that a real listing does: a few promise turns and a setImmediate hop. */
async function workBetweenRequests(): Promise<void> {
  await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  await Promise.resolve();
}

async function chain(clock: VirtualLatency | WallClockLatency, requests: number, ms: number): Promise<void> {
  for (let n = 0; n < requests; n++) {
    await clock.wait(ms);
    await workBetweenRequests();
  }
}

describe('virtual latency', () => {
  it('gives sequential requests the sum of their latencies', async () => {
    const clock = new VirtualLatency();
    await chain(clock, 5, 30);
    expect(clock.elapsedMs).toBe(150);
    expect(clock.requests).toBe(5);
    expect(clock.meanInFlight).toBe(1);
    expect(clock.maxInFlight).toBe(1);
  });

  it('gives overlapping chains the time of the longest, with the requests in flight counted', async () => {
    const clock = new VirtualLatency();
    await Promise.all([chain(clock, 3, 30), chain(clock, 3, 30), chain(clock, 3, 30), chain(clock, 1, 30)]);
    expect(clock.elapsedMs).toBe(90);
    expect(clock.requests).toBe(10);
    expect(clock.maxInFlight).toBe(4);
    // 4 in flight for the first 30 ms, 3 for the next 60: (4 * 30 + 3 * 60) / 90.
    expect(clock.meanInFlight).toBeCloseTo(300 / 90, 10);
  });
});

describe('wall-clock latency', () => {
  it('counts requests and the most in flight at once', async () => {
    const clock = new WallClockLatency();
    await Promise.all([chain(clock, 2, 1), chain(clock, 2, 1), chain(clock, 2, 1)]);
    expect(clock.requests).toBe(6);
    expect(clock.maxInFlight).toBe(3);
    expect(clock.meanInFlight).toBeGreaterThan(0);
    expect(clock.meanInFlight).toBeLessThanOrEqual(3);
  });
});
