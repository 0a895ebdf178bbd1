/**
 * The fault x rate x outcome matrix, produced by the resilience tests themselves: each test file records one row per
 * scenario it ran and, when it ends, writes its rows to `test-output/fault-matrix/<file>.json` and re-renders
 * `test-output/fault-matrix.md` from every file's rows. docs/resilience.md holds a copy of that table.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface FaultOutcome {
  /** What was exercised (`catalog ingest (SQS)`, `retention apply`...). */
  readonly area: string;
  readonly fault: string;
  readonly rate: number;
  /** Requests seen by the fault layer while the fault was on, and faults injected. */
  readonly requests: number;
  readonly injected: number;
  /** Runs (invocations, sync runs, watchdog runs, apply runs) until everything converged after the fault stopped. */
  readonly runs: number;
  /** What was checked and held, e.g. `catalog = bucket (118 objects)`, `0 unplanned deletes`. */
  readonly checks: readonly string[];
}

const OUTPUT = join(process.cwd(), 'test-output');
const FRAGMENTS = join(OUTPUT, 'fault-matrix');

export class FaultMatrix {
  readonly #file: string;
  readonly #rows: FaultOutcome[] = [];

  constructor(file: string) {
    this.#file = file;
  }

  record(row: FaultOutcome): void {
    this.#rows.push(row);
  }

  /** Writes this file's rows and re-renders the Markdown table from all files' rows. */
  write(): void {
    mkdirSync(FRAGMENTS, { recursive: true });
    writeFileSync(join(FRAGMENTS, `${this.#file}.json`), `${JSON.stringify(this.#rows, null, 2)}\n`);
    const rows = readdirSync(FRAGMENTS)
      .filter((name) => name.endsWith('.json'))
      .sort()
      .flatMap((name) => JSON.parse(readFileSync(join(FRAGMENTS, name), 'utf8')) as FaultOutcome[]);
    writeFileSync(join(OUTPUT, 'fault-matrix.md'), renderFaultMatrix(rows));
  }
}

const percent = (rate: number): string => `${Math.round(rate * 100)}%`;

export function renderFaultMatrix(rows: readonly FaultOutcome[]): string {
  const lines = [
    '| area | fault | rate | requests | injected | runs to converge | outcome (all held) |',
    '|---|---|---:|---:|---:|---:|---|',
    ...rows.map(
      (row) =>
        `| ${row.area} | ${row.fault} | ${percent(row.rate)} | ${row.requests} | ${row.injected} | ${row.runs} | ${row.checks.join('; ')} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
