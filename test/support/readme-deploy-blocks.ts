/**
 * The README's deploy commands as tests run them: the `sh` blocks whose first line is `# walcat deploy: <title>`,
 * and bash to run one with `-euo pipefail`, so a failing command fails the test with its stderr and the script.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');

/** The README's `# walcat deploy: <title>` blocks by title. */
export function readmeDeployBlocks(): Map<string, string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return new Map(
    [...readme.matchAll(/```sh\n# walcat deploy: ([^\n]+)\n([\s\S]*?)```/g)].map((match) => [
      match[1] as string,
      match[2] as string,
    ]),
  );
}

/** One block by title; a missing block names itself, so renaming a README heading fails loudly. */
export function readmeDeployBlock(title: string): string {
  const found = readmeDeployBlocks().get(title);
  if (found === undefined) throw new Error(`the README has no \`# walcat deploy: ${title}\` block`);
  return found;
}

/** Runs a script with bash in `cwd`; resolves with stdout, rejects with stderr, stdout and the script. */
export function runBash(
  script: string,
  options: { readonly cwd: string; readonly env: NodeJS.ProcessEnv; readonly timeoutMs: number },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', script], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('close', (code) => {
      clearTimeout(killer);
      if (code === 0) resolve(out);
      else reject(new Error(`exit ${code}: ${err}\n--- stdout:\n${out}\n--- script:\n${script}`));
    });
  });
}
