import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { LocalArchiverConfig } from './config.ts';

export interface ToolResult {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a PostgreSQL client tool (pg_basebackup, psql) from `WALG_PG_BIN` or PATH with the libpq connection
 * variables. Errors carry the exit code and the last lines of stderr, not the whole output.
 */
export function runPgTool(config: LocalArchiverConfig, tool: string, args: readonly string[]): Promise<ToolResult> {
  const file = config.pgBinDir ? join(config.pgBinDir, tool) : tool;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: { ...config.libpqEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) =>
      reject(new Error(`cannot run ${file}: ${error.message}; set WALG_PG_BIN to the PostgreSQL bin directory`)),
    );
    child.on('close', (code) => {
      const result = { stdout: Buffer.concat(stdout).toString('utf8'), stderr: Buffer.concat(stderr).toString('utf8') };
      if (code === 0) resolve(result);
      else reject(new Error(`${tool} exited with ${code}: ${result.stderr.trim().split('\n').slice(-5).join(' | ')}`));
    });
  });
}
