/** The on-demand loader the wiring imports clients with: one import for concurrent calls, a failure not kept. */
import { describe, expect, it } from 'vitest';
import { onDemand } from '../../lib/wiring/on-demand.ts';

describe('onDemand', () => {
  it('loads once for every call, concurrent or later, and hands each the same value', async () => {
    let loads = 0;
    const value = onDemand(async () => {
      loads++;
      return { loaded: loads };
    });
    expect(loads).toBe(0);
    const [first, second] = await Promise.all([value(), value()]);
    expect(first).toBe(second);
    expect(await value()).toBe(first);
    expect(loads).toBe(1);
  });

  it('tries again after a failed load instead of keeping the failure', async () => {
    let attempts = 0;
    const value = onDemand(async () => {
      attempts++;
      if (attempts === 1) throw new Error('chunk missing');
      return attempts;
    });
    await expect(value()).rejects.toThrow('chunk missing');
    expect(await value()).toBe(2);
    expect(await value()).toBe(2);
    expect(attempts).toBe(2);
  });
});
