/** The CLI's input and output as a test sees them: what it printed, a fixed clock, and the environment it reads. */
import type { CliIo } from '../../lib/cli/main.ts';

export function capturedIo(env: Record<string, string> = {}): CliIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (text) => out.push(text),
    stderr: (text) => err.push(text),
    now: () => new Date('2026-11-21T10:00:00Z'),
    env,
  };
}
