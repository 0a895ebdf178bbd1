/**
 * Peak RSS of a benchmark's own process, and a fresh process to measure it in.
 *
 * `process.resourceUsage().maxRSS` (getrusage) is not that figure in a process the runner spawned: Node forks
 * before it execs the child, and Linux carries the forked copy's high-water mark (the runner's whole RSS at that
 * moment) across exec into the child's maxRSS. A probe spawned by a runner holding 366 MB reports at least 366 MB
 * whatever it does itself. VmHWM in /proc/self/status is the high-water mark of the address space the child got at
 * exec, so it counts only what the child touched.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

/**
 * This process's own peak RSS in bytes: VmHWM where /proc has it, else getrusage's maxRSS (KiB), which is the same
 * figure for a process that was not forked from a larger one.
 */
export function ownPeakRssBytes(): number {
  let status: string | undefined;
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    status = undefined;
  }
  const highWaterKib = status?.match(/^VmHWM:\s+(\d+)\s+kB$/m)?.[1];
  return (highWaterKib === undefined ? process.resourceUsage().maxRSS : Number(highWaterKib)) * 1024;
}

/**
 * Runs a TypeScript probe in a fresh node process (through tsx, as the runner itself runs) and parses the last line
 * it prints as JSON: what the probe measures is its own, not the runner's heap or what other benchmarks left behind.
 */
export async function runProbe<Result>(script: string, args: readonly string[]): Promise<Result> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', script, ...args], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Result;
}
