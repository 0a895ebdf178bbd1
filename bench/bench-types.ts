/** One measured figure; `bench/run.ts` prints all rows of all benchmarks as one table. */
export interface BenchRow {
  benchmark: string;
  metric: string;
  value: number;
  unit: string;
  note?: string;
  /** What the figure should be, in the row's unit; the table prints the goal and whether it was met. */
  goal?: BenchGoal;
}

/** At most `max` and/or at least `min`. */
export interface BenchGoal {
  max?: number;
  min?: number;
}

/** A benchmark module (`bench/<name>.bench.ts`) default-exports one of these. */
export interface Benchmark {
  name: string;
  run(): Promise<BenchRow[]>;
}
