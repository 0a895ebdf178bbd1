/** The real `walcat` CLI (bin/walcat.mjs) as its own process, as an operator runs it in a terminal. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const WALCAT_BIN = fileURLToPath(new URL('../../bin/walcat.mjs', import.meta.url));

export interface WalcatRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `walcat args` with exactly `env` in `cwd`; resolves with the exit code and output, never rejects. */
export function runWalcat(
  args: readonly string[],
  options: { readonly env: NodeJS.ProcessEnv; readonly cwd: string; readonly timeoutMs?: number },
): Promise<WalcatRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [WALCAT_BIN, ...args],
      { env: options.env, cwd: options.cwd, timeout: options.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}
