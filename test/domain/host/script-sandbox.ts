/**
 * A sandbox that runs generated host scripts for real: bash in a temporary directory, with stub `runuser`, `envdir`,
 * `wal-g` and `psql` executables first on the PATH. Each stub appends its argv (and the value of WALCAT_MARK, to
 * check the env-dir loader) to a log, NUL-separated with a count so values with newlines round-trip exactly, then
 * does what the real tool would do to the rest of its argv (runuser/envdir exec it). A canary file lets a test
 * prove no value was executed.
 */
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export interface RecordedCall {
  /** The stub's $0 as invoked (a full path when the script ran it by path). */
  readonly program: string;
  readonly args: readonly string[];
  /** WALCAT_MARK in the stub's environment, undefined when unset. */
  readonly mark: string | undefined;
}

export interface ScriptRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly calls: readonly RecordedCall[];
}

export interface ScriptSandbox {
  readonly root: string;
  readonly binDir: string;
  readonly canary: string;
  /** Installs the wal-g stub at an arbitrary absolute path (for hostile walgBinary values). */
  installWalgStubAt(path: string): void;
  /** Runs `script` from a file with `shell` (default bash; `/bin/sh` to run wrapped scripts the way SSM may). */
  run(script: string, options?: { env?: Record<string, string>; withEnvdir?: boolean; shell?: string }): ScriptRun;
  /** True when the canary is intact and nothing else appeared in the sandbox's `pwned` spot. */
  intact(): boolean;
  close(): void;
}

const RECORD = `{ printf '%s\\0' "$0" "\${WALCAT_MARK-<unset>}" "$#"; if (( $# )); then printf '%s\\0' "$@"; fi; } >> "$WALCAT_STUB_LOG"`;

const STUBS: Record<string, string> = {
  runuser: `#!/bin/bash\n${RECORD}\n[[ $1 == -u && $3 == -- ]] || { echo "runuser stub: unexpected argv" >&2; exit 97; }\nshift 3\nexec "$@"\n`,
  envdir: `#!/bin/bash\n${RECORD}\nshift\nexec "$@"\n`,
  'wal-g': `#!/bin/bash\n${RECORD}\necho "wal-g stub output on stdout"\nexit "\${WALCAT_STUB_WALG_EXIT:-0}"\n`,
  psql: `#!/bin/bash\n${RECORD}\nif [[ -n \${WALCAT_STUB_PSQL_EXIT:-} ]]; then echo "psql: connection refused" >&2; exit "$WALCAT_STUB_PSQL_EXIT"; fi\nprintf '%s\\n' "\${WALCAT_STUB_PSQL_OUTPUT:-f}"\n`,
};

export function createScriptSandbox(): ScriptSandbox {
  const root = mkdtempSync(join(tmpdir(), 'walcat-script-sandbox-'));
  const binDir = join(root, 'bin');
  const envdirBinDir = join(root, 'envdir-bin');
  mkdirSync(binDir);
  mkdirSync(envdirBinDir);
  for (const [name, text] of Object.entries(STUBS)) {
    const target = join(name === 'envdir' ? envdirBinDir : binDir, name);
    writeFileSync(target, text);
    chmodSync(target, 0o755);
  }
  const canary = join(root, 'canary');
  writeFileSync(canary, 'canary');
  const log = join(root, 'calls.log');
  return {
    root,
    binDir,
    canary,
    installWalgStubAt(path) {
      mkdirSync(dirname(path), { recursive: true });
      copyFileSync(join(binDir, 'wal-g'), path);
      chmodSync(path, 0o755);
    },
    run(script, options = {}) {
      writeFileSync(log, '');
      const path = [binDir, ...(options.withEnvdir === false ? [] : [envdirBinDir]), '/usr/bin', '/bin'].join(':');
      const file = join(root, 'script.sh');
      writeFileSync(file, script);
      const result = spawnSync(options.shell ?? '/bin/bash', [file], {
        cwd: root,
        env: { PATH: path, WALCAT_STUB_LOG: log, HOME: root, LANG: 'C.UTF-8', ...options.env },
        encoding: 'utf8',
        timeout: 20_000,
      });
      return {
        code: result.status ?? -1,
        stdout: result.stdout,
        stderr: result.stderr,
        calls: parseLog(readFileSync(log)),
      };
    },
    intact() {
      return existsSync(canary) && readFileSync(canary, 'utf8') === 'canary' && !existsSync(join(root, 'pwned'));
    },
    close() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function parseLog(bytes: Buffer): RecordedCall[] {
  const fields = bytes.toString('utf8').split('\0');
  const calls: RecordedCall[] = [];
  let index = 0;
  while (index + 3 <= fields.length && fields[index] !== '') {
    const program = fields[index] ?? '';
    const mark = fields[index + 1];
    const count = Number(fields[index + 2]);
    const args = fields.slice(index + 3, index + 3 + count);
    calls.push({ program, args, mark: mark === '<unset>' ? undefined : mark });
    index += 3 + count;
  }
  return calls;
}
