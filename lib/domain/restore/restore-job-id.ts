/**
 * A restore job id: `r-` (or `d-` for drills), the creation time to the second and six random base-36 characters,
 * e.g. `r-20261120t143100z-k3x9qa`. Lower case (it names a directory on the host) and sortable by time.
 *
 * @example newRestoreJobId('restore', new Date('2026-11-20T14:31:00Z'), () => 0.5) // 'r-20261120t143100z-iiiiii'
 */
export function newRestoreJobId(kind: 'restore' | 'drill', now: Date, random: () => number): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/u, 'z')
    .replace(/[-:]/gu, '')
    .toLowerCase();
  const suffix = Array.from({ length: 6 }, () =>
    Math.floor(Math.min(Math.max(random(), 0), 0.999_999) * 36).toString(36),
  ).join('');
  return `${kind === 'drill' ? 'd' : 'r'}-${stamp}-${suffix}`;
}
