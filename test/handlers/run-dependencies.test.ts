import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { onDemand } from '../../lib/handlers/run-dependencies.ts';

describe('onDemand', () => {
  it('hands plain dependencies back as they are', async () => {
    const deps = { store: 'the store' };
    expect(await onDemand(deps)()).toBe(deps);
  });

  it('loads nothing until a run asks, then once however the runs interleave', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.nat({ max: 3 }), { minLength: 1, maxLength: 12 }), async (waves) => {
        let loads = 0;
        const deps = { store: 'loaded' };
        const get = onDemand(async () => {
          loads++;
          await Promise.resolve();
          return deps;
        });
        expect(loads).toBe(0);
        // Each wave starts some runs at once, then waits for them: concurrent and later runs share the one load.
        for (const size of waves) {
          const got = await Promise.all(Array.from({ length: size + 1 }, () => get()));
          expect(got.every((value) => value === deps)).toBe(true);
        }
        expect(loads).toBe(1);
      }),
    );
  });

  it('forgets a load that failed, so the next run tries again', async () => {
    let attempt = 0;
    const get = onDemand(async () => {
      attempt++;
      if (attempt === 1) throw new Error('the adapter set was built without the S3 adapters');
      return { attempt };
    });
    await expect(get()).rejects.toThrow(/without the S3 adapters/);
    expect(await get()).toEqual({ attempt: 2 });
    expect(await get()).toEqual({ attempt: 2 });
  });
});
