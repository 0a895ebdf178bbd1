/** One measured figure; `bench/run.ts` prints all rows of all benchmarks as one table. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
}

/** A benchmark module (`bench/<name>.bench.ts`) default-exports one of these. */
export interface Benchmark {
  name: string;
  run(): Promise<BenchRow[]>;
}
