import type { RestorePlan } from './restore-plan.ts';
import type { RestoreTarget } from './restore-target.ts';

/**
 * The target of a restore drill: a random instant between the newest backup's finish and the end of its restorable
 * range (from a plan to `latest`), so over many drills every part of the window gets exercised. `random` returns a
 * number in [0, 1) and is injected so drills are reproducible in tests. Whole milliseconds; a range shorter than a
 * second is drilled to `latest`.
 *
 * @example drillTarget(latestPlan, () => 0.5) // { kind: 'time', time: <middle of the newest backup's range> }
 */
export function drillTarget(latestPlan: RestorePlan, random: () => number): RestoreTarget {
  const from = latestPlan.baseBackup.finishTime?.getTime() ?? latestPlan.range.from.getTime();
  const to = latestPlan.range.to.getTime();
  if (to - from < 1000) return { kind: 'latest' };
  const fraction = Math.min(Math.max(random(), 0), 0.999_999);
  return { kind: 'time', time: new Date(Math.floor(from + fraction * (to - from))) };
}
