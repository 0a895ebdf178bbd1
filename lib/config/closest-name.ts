/** "Did you mean" for misspelt config keys and CLI options. */

/** Edit distance between two names, ignoring case. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1]?.toLowerCase() === b[j - 1]?.toLowerCase() ? 0 : 1);
      current.push(Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] as number;
}

/**
 * The allowed name closest to `name`, when it is at most `maxDistance` edits away.
 *
 * @example closestName('jsn', ['json', 'config'], 2) === 'json'
 */
export function closestName(name: string, allowed: readonly string[], maxDistance: number): string | undefined {
  const best = [...allowed].sort((a, b) => editDistance(name, a) - editDistance(name, b))[0];
  return best !== undefined && editDistance(name, best) <= maxDistance ? best : undefined;
}
