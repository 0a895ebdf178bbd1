import { type Lsn, lsnFromInteger } from '../wal/lsn.ts';
import type { WalSegmentSize } from '../wal/segment-size.ts';
import { segmentStartLsn } from '../wal/wal-segment.ts';
import type { RestorePlan } from './restore-plan.ts';
import type { RestoreTarget } from './restore-target.ts';

/**
 * The target of a restore drill: a random point between the newest backup's consistency point and the start of the
 * last archived segment of its chain (from a plan to `latest`), so over many drills every part of the window gets
 * exercised. `random` returns a number in [0, 1) and is injected so drills are reproducible in tests.
 *
 * The point is an LSN, not a time, on purpose: PostgreSQL reaches a time target only when the archive holds a commit
 * after it, so a time after the primary's last commit (an idle database) fails with "recovery ended before
 * configured recovery target was reached" although nothing is wrong with the backups. An LSN up to the start of the
 * last archived segment is always followed by a WAL record in the archive. A chain that ends in the backup's own last
 * segment is drilled to `latest`.
 *
 * @example drillTarget(latestPlan, () => 0.5, size) // { kind: 'lsn', lsn: <halfway through the chain's WAL> }
 */
export function drillTarget(latestPlan: RestorePlan, random: () => number, size: WalSegmentSize): RestoreTarget {
  const from = latestPlan.baseBackup.finishLsn;
  const to = segmentStartLsn(latestPlan.wal.to.segNo, size);
  if (to <= from) return { kind: 'latest' };
  const fraction = Math.min(Math.max(random(), 0), 1);
  const offset = BigInt(Math.floor(fraction * Number(to - from)));
  const lsn: Lsn = lsnFromInteger(from + offset);
  return { kind: 'lsn', lsn };
}
