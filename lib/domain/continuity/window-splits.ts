/**
 * How a restorable window is split: the one-line "from → to" of a window hides that some times in between cannot
 * be restored, so every summary line says how many ranges and holes it spans.
 */

export interface TimeRange {
  readonly from: Date;
  readonly to: Date;
}

export interface WindowSplits {
  readonly ranges: number;
  /** Stretches between the first range's start and the last range's end that no range covers. */
  readonly holes: number;
}

/**
 * Ranges and holes of a window (ranges on different timelines that meet or overlap leave no hole).
 *
 * @example windowSplits([{ from: t0, to: t1 }, { from: t2, to: t3 }]) // { ranges: 2, holes: 1 } when t1 < t2
 */
export function windowSplits(ranges: readonly TimeRange[]): WindowSplits {
  const sorted = [...ranges].sort((a, b) => a.from.getTime() - b.from.getTime());
  let holes = 0;
  let coveredTo: number | undefined;
  for (const range of sorted) {
    if (coveredTo !== undefined && range.from.getTime() > coveredTo) holes++;
    coveredTo = Math.max(coveredTo ?? Number.NEGATIVE_INFINITY, range.to.getTime());
  }
  return { ranges: sorted.length, holes };
}

/**
 * `3 ranges, 2 gaps` for a split window; undefined for a single range (nothing hidden).
 *
 * @example splitsText({ ranges: 3, holes: 2 }) === '3 ranges, 2 gaps'
 */
export function splitsText(splits: WindowSplits): string | undefined {
  if (splits.ranges <= 1) return undefined;
  const holes = splits.holes === 0 ? 'no gap' : `${splits.holes} gap${splits.holes === 1 ? '' : 's'}`;
  return `${splits.ranges} ranges, ${holes}`;
}
