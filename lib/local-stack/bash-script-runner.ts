/**
 * Runs a host script with bash on this machine, as SSM's AWS-RunShellScript runs it on a host: stdout (only the
 * result line, by the script's own design) and stderr go to files, not pipes, so a process a step leaves running
 * cannot hold the run open.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScriptResult } from '../domain/host/host-script.ts';
import type { HostScriptOutcome, HostScriptRunner } from './local-backups.ts';

const STDERR_TAIL_BYTES = 2000;

export class BashScriptRunner implements HostScriptRunner {
  async run(script: string, options: { readonly timeoutMs: number }): Promise<HostScriptOutcome> {
    const dir = mkdtempSync(join(tmpdir(), 'walcat-host-script-'));
    const stdoutFile = join(dir, 'stdout');
    const stderrFile = join(dir, 'stderr');
    const stdout = openSync(stdoutFile, 'w');
    const stderr = openSync(stderrFile, 'w');
    try {
      const exitCode = await new Promise<number>((resolve, reject) => {
        const child = spawn('/bin/bash', ['-c', script, 'walcat-host-script'], {
          stdio: ['ignore', stdout, stderr],
          timeout: options.timeoutMs,
          cwd: '/',
        });
        child.on('error', reject);
        child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
      });
      const stderrText = readFileSync(stderrFile, 'utf8');
      let result: HostScriptOutcome['result'];
      try {
        result = parseScriptResult(readFileSync(stdoutFile, 'utf8'));
      } catch {
        result = undefined;
      }
      return { exitCode, result, stderrTail: stderrText.slice(-STDERR_TAIL_BYTES) };
    } finally {
      closeSync(stdout);
      closeSync(stderr);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
