/**
 * The retention-apply benchmark in a fresh process, so that its peak RSS is its own and not what the runner held
 * from the benchmarks before it:
 *   node --import tsx bench/support/retention-apply-probe.ts
 * prints the benchmark's rows as one JSON line.
 */
import { measureRetentionApply } from '../retention-apply.bench.ts';

console.log(JSON.stringify(await measureRetentionApply()));
