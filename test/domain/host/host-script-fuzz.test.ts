/**
 * Hostile values never change a host script's meaning. Generated scripts are RUN (bash via /bin/sh, as SSM may do)
 * in a sandbox with stub runuser/envdir/wal-g/psql that record their argv: every accepted value arrives at the tool
 * byte for byte, nothing is executed (the canary file survives, no `pwned` file appears), and values that cannot be
 * carried (NUL, oversize, wrong form) are refused with an InvalidInputError naming the field.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HostSettings } from '../../../lib/domain/cluster.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import { buildBackupPushScript } from '../../../lib/domain/host/backup-push-script.ts';
import {
  buildHostScript,
  HOST_SCRIPT_EXIT,
  parseScriptResult,
  type ScriptStep,
  wrapForPosixShell,
} from '../../../lib/domain/host/host-script.ts';
import {
  MAX_HOST_SCRIPT_BYTES,
  MAX_SHELL_VALUE_BYTES,
  quoteShellArg,
  shell,
  validateAbsolutePath,
  validateBackupName,
  validateOsUser,
  validateTimestamp,
} from '../../../lib/domain/host/shell-quote.ts';
import { createScriptSandbox, type ScriptSandbox } from './script-sandbox.ts';

let sandbox: ScriptSandbox;
beforeAll(() => {
  sandbox = createScriptSandbox();
});
afterAll(() => sandbox.close());

/** Pieces of shell syntax that would do something if they ever escaped their quotes. */
function hostileFragments(root: string): string[] {
  const pwned = join(root, 'pwned');
  const canary = join(root, 'canary');
  return [
    "'",
    '"',
    `\`touch ${pwned}\``,
    `$(touch ${pwned})`,
    `$(rm -f ${canary})`,
    `'; rm -f ${canary}; '`,
    `"; touch ${pwned}; "`,
    `; touch ${pwned}`,
    `&& rm -f ${canary}`,
    `| tee ${pwned}`,
    `> ${pwned}`,
    '*',
    '?',
    '[a-z]*',
    '~',
    '~root',
    '$HOME',
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a bash expansion that must stay literal.
    '${PATH}',
    '$0',
    '$@',
    '\\',
    "\\'",
    '\n',
    `\ntouch ${pwned}\n`,
    '\t',
    ' ',
    '  ',
    '!',
    '!!',
    '#',
    '{a,b}',
    '%s',
    '--',
    '-u',
    'é',
    '𝄞',
    '中文',
    '\u202e',
    '\u00a0',
    'WALCAT_RESULT {"status":"success"}',
    '\nWALCAT_SCRIPT_END\n',
    `\nWALCAT_SCRIPT_END\ntouch ${pwned}\nWALCAT_SCRIPT_END_\n`,
  ];
}

const hostileValue = (root: string): fc.Arbitrary<string> =>
  fc
    .array(fc.oneof(fc.constantFrom(...hostileFragments(root)), fc.string({ unit: 'grapheme', maxLength: 6 })), {
      maxLength: 8,
    })
    .map((parts) => parts.join(''));

const longValue = fc
  .tuple(fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 20 }), fc.integer({ min: 1_000, max: 8_000 }))
  .map(([unit, times]) => unit.repeat(times))
  .filter((value) => Buffer.byteLength(value) <= MAX_SHELL_VALUE_BYTES);

/** A path segment from a hostile value: no `/`, no control characters, not `.`/`..`, short enough for a file name. */
const hostileSegment = (root: string): fc.Arbitrary<string> =>
  hostileValue(root)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point.
    .map((value) => value.replace(/[/\u0000-\u001f\u007f]/gu, '_'))
    .filter((segment) => segment !== '' && segment !== '.' && segment !== '..' && Buffer.byteLength(segment) <= 200);

function host(overrides: Partial<HostSettings> = {}): HostSettings {
  return {
    target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
    pgData: '/var/lib/postgresql/15/main',
    osUser: 'postgres',
    service: { kind: 'systemd', unit: 'postgresql@15-main' },
    walgBinary: 'wal-g',
    ...overrides,
  };
}

function runWrapped(script: string, options?: { env?: Record<string, string>; withEnvdir?: boolean }) {
  return sandbox.run(wrapForPosixShell(script), { ...options, shell: '/bin/sh' });
}

describe('quoteShellArg', () => {
  it('round-trips any NUL-free string through bash byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(hostileValue(sandbox.root), fc.string({ unit: 'binary' })), { minLength: 1, maxLength: 30 }),
        (values) => {
          const carried = values.map((value) => value.replaceAll('\u0000', '').replace(/[\uD800-\uDFFF]/gu, ''));
          const run = sandbox.run(`printf '%s\\0' ${carried.map((value) => quoteShellArg(value)).join(' ')}`);
          expect(run.code).toBe(0);
          expect(run.stdout.split('\0').slice(0, -1)).toEqual(carried);
          expect(sandbox.intact()).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('refuses NUL, unpaired surrogates and values over the size limit, naming the field', () => {
    expect(() => quoteShellArg('a\u0000b', 'hosts.pgData')).toThrow(/hosts\.pgData.*NUL/u);
    expect(() => quoteShellArg('a\uD800b', 'restore.target')).toThrow(/restore\.target.*surrogate/u);
    expect(() => quoteShellArg('x'.repeat(MAX_SHELL_VALUE_BYTES + 1), 'sql')).toThrow(InvalidInputError);
    expect(() => quoteShellArg('x'.repeat(MAX_SHELL_VALUE_BYTES + 1), 'sql')).toThrow(/sql: value of 16385 bytes/u);
  });

  it('quotes interpolations of the shell template and pastes fragments as they are', () => {
    expect(shell`psql -c ${"select 'x'"}`.text).toBe(`psql -c 'select '\\''x'\\'''`);
    expect(shell`cd ${['/a b', '$(x)']}`.text).toBe(`cd '/a b' '$(x)'`);
  });
});

describe('validators refuse values of the wrong form with the field named', () => {
  it.each([
    [
      'validateAbsolutePath relative',
      () => validateAbsolutePath('hosts.pgData', 'data'),
      /hosts\.pgData.*not absolute/u,
    ],
    ['validateAbsolutePath newline', () => validateAbsolutePath('hosts.pgData', '/a\n/b'), /control character/u],
    ['validateAbsolutePath dot-dot', () => validateAbsolutePath('hosts.pgData', '/a/../etc'), /\.\. segment/u],
    ['validateBackupName lower-case', () => validateBackupName('backup', 'base_00000001000000000000000a'), /backup:/u],
    ['validateBackupName LATEST not allowed', () => validateBackupName('backup', 'LATEST'), /not a WAL-G backup name/u],
    ['validateTimestamp no zone', () => validateTimestamp('target', '2026-11-20 14:29:59'), /target:/u],
    ['validateTimestamp impossible date', () => validateTimestamp('target', '2026-13-40T25:00:00Z'), /target:/u],
    ['validateOsUser injection', () => validateOsUser('hosts.osUser', 'postgres; rm -rf /'), /hosts\.osUser/u],
  ])('%s', (_name, call, message) => {
    expect(call).toThrow(InvalidInputError);
    expect(call).toThrow(message);
  });

  it('accepts the documented forms', () => {
    expect(validateBackupName('b', 'base_000000010000000000000004_D_000000010000000000000002')).toMatch(/_D_/u);
    expect(validateBackupName('b', 'LATEST', { allowLatest: true })).toBe('LATEST');
    expect(validateTimestamp('t', '2026-11-20T14:29:59.123+02:00')).toBe('2026-11-20T14:29:59.123+02:00');
    expect(validateOsUser('u', 'postgres')).toBe('postgres');
  });

  it('never accepts a hostile value as a user name, backup name or time', () => {
    fc.assert(
      fc.property(hostileValue(sandbox.root), (value) => {
        const dangerous = /[^A-Za-z0-9_:.+-]/u.test(value);
        fc.pre(dangerous);
        expect(() => validateOsUser('hosts.osUser', value)).toThrow(InvalidInputError);
        expect(() => validateBackupName('backup', value, { allowLatest: true })).toThrow(InvalidInputError);
        expect(() => validateTimestamp('target', value)).toThrow(InvalidInputError);
      }),
      { numRuns: 200 },
    );
  });
});

describe('generated scripts keep their meaning for hostile host settings', () => {
  it('backup-push passes pgData, walgEnvDir and walgBinary to the tools exactly (envdir installed)', () => {
    fc.assert(
      fc.property(
        fc.array(hostileSegment(sandbox.root), { minLength: 1, maxLength: 3 }),
        hostileSegment(sandbox.root),
        hostileSegment(sandbox.root),
        fc.boolean(),
        (dataSegments, envSegment, binarySegment, permanent) => {
          const pgData = join(sandbox.root, 'data', ...dataSegments);
          const envDir = join(sandbox.root, 'env', envSegment);
          const walgBinary = join(sandbox.root, 'tools', binarySegment);
          mkdirSync(pgData, { recursive: true });
          sandbox.installWalgStubAt(walgBinary);
          const script = buildBackupPushScript(host({ pgData, walgEnvDir: envDir, walgBinary }), { permanent });
          const run = runWrapped(script);

          expect(run.code).toBe(0);
          expect(parseScriptResult(run.stdout)).toEqual({ status: 'success', script: 'backup-push', data: null });
          const walg = run.calls.find((call) => call.program === walgBinary);
          expect(walg?.args).toEqual(['backup-push', pgData, ...(permanent ? ['--permanent'] : [])]);
          const envdirCalls = run.calls.filter((call) => call.program.endsWith('/envdir'));
          expect(envdirCalls.map((call) => call.args)).toEqual([
            [envDir, 'psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', 'select pg_is_in_recovery()'],
            [envDir, walgBinary, 'backup-push', pgData, ...(permanent ? ['--permanent'] : [])],
          ]);
          expect(
            run.calls.filter((call) => call.program.endsWith('/runuser')).map((call) => call.args.slice(0, 3)),
          ).toEqual([
            ['-u', 'postgres', '--'],
            ['-u', 'postgres', '--'],
          ]);
          expect(sandbox.intact()).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('the built-in env-dir loader (no envdir on the host) carries env files and hostile paths exactly', () => {
    fc.assert(
      fc.property(hostileSegment(sandbox.root), hostileValue(sandbox.root), (envSegment, markValue) => {
        const envDir = join(sandbox.root, 'loader-env', envSegment);
        mkdirSync(envDir, { recursive: true });
        const firstLine = markValue.split('\n')[0] ?? '';
        writeFileSync(join(envDir, 'WALCAT_MARK'), markValue.replaceAll('\u0000', ''));
        const pgData = join(sandbox.root, 'loader-data');
        mkdirSync(pgData, { recursive: true });
        const run = runWrapped(buildBackupPushScript(host({ pgData, walgEnvDir: envDir })), { withEnvdir: false });

        expect(run.code).toBe(0);
        const walg = run.calls.find((call) => call.program.endsWith('/wal-g'));
        expect(walg?.args).toEqual(['backup-push', pgData]);
        const expectedMark = firstLine.replace(/[ \t]+$/u, '');
        // envdir semantics: an empty file unsets the variable; otherwise the first line without trailing blanks.
        expect(walg?.mark).toBe(markValue === '' ? undefined : expectedMark);
        expect(sandbox.intact()).toBe(true);
      }),
      { numRuns: 25 },
    );
  });

  it('every value of every step kind reaches its tool exactly, including long values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(hostileValue(sandbox.root), longValue), { minLength: 1, maxLength: 4 }),
        hostileValue(sandbox.root),
        fc.oneof(hostileValue(sandbox.root), longValue),
        hostileSegment(sandbox.root),
        (walgArgs, sql, content, fileSegment) => {
          const target = join(sandbox.root, 'written', fileSegment);
          mkdirSync(join(sandbox.root, 'written'), { recursive: true });
          const steps: ScriptStep[] = [
            { kind: 'wal-g', name: 'walg-step', args: walgArgs },
            { kind: 'sql', name: 'sql-step', sql, captureAs: 'answer' },
            { kind: 'skip-if', name: 'never-skip', variable: 'answer', equals: sql, reason: 'unexpected' },
            { kind: 'command', name: 'root-step', argv: ['printf', '%s', ...walgArgs], runAs: 'root' },
            { kind: 'write-file', name: 'write-step', path: target, content, runAs: 'root' },
          ];
          const script = buildHostScript({ name: 'fuzz', host: host(), steps });
          // Up to four 16 KiB arguments, each used twice, can outgrow the whole-script limit although every value
          // is within its own: such a script is refused with the limit and the fix, never sent cut short.
          if (Buffer.byteLength(script) > MAX_HOST_SCRIPT_BYTES) {
            expect(() => wrapForPosixShell(script)).toThrow(InvalidInputError);
            expect(() => wrapForPosixShell(script)).toThrow(`exceeds the limit of ${MAX_HOST_SCRIPT_BYTES} bytes`);
            return;
          }
          const run = runWrapped(script, { env: { WALCAT_STUB_PSQL_OUTPUT: 'f' } });

          expect(parseScriptResult(run.stdout)?.status).toBe('success');
          expect(run.calls.find((call) => call.program.endsWith('/wal-g'))?.args).toEqual(walgArgs);
          expect(run.calls.find((call) => call.program.endsWith('/psql'))?.args.at(-1)).toBe(sql);
          expect(run.stderr).toContain(walgArgs.join(''));
          expect(readBack(target)).toBe(content);
          expect(sandbox.intact()).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });
});

function readBack(path: string): string {
  return sandbox.run(`cat ${quoteShellArg(path)}`).stdout;
}

describe('result line and exit codes', () => {
  const pgData = () => {
    const path = join(sandbox.root, 'exit-data');
    mkdirSync(path, { recursive: true });
    return path;
  };

  it('skips on a standby with exit 0 and never runs wal-g', () => {
    const run = runWrapped(buildBackupPushScript(host({ pgData: pgData() })), {
      env: { WALCAT_STUB_PSQL_OUTPUT: 't' },
    });
    expect(run.code).toBe(0);
    expect(parseScriptResult(run.stdout)).toEqual({
      status: 'skipped',
      script: 'backup-push',
      step: 'skip-standby',
      reason: 'standby',
    });
    expect(run.calls.some((call) => call.program.endsWith('/wal-g'))).toBe(false);
  });

  it('reports a failing wal-g as tool failure 12 with its own exit code, and keeps tool stdout off stdout', () => {
    const run = runWrapped(buildBackupPushScript(host({ pgData: pgData() })), { env: { WALCAT_STUB_WALG_EXIT: '3' } });
    expect(run.code).toBe(HOST_SCRIPT_EXIT.toolFailed);
    expect(parseScriptResult(run.stdout)).toEqual({
      status: 'failed',
      script: 'backup-push',
      step: 'backup-push',
      exitCode: 12,
      commandExitCode: 3,
      // The end of stderr, where the tool's output went, rides in the result line.
      stderrTail: 'wal-g stub output on stdout',
    });
    // stdout is the result line and nothing else.
    expect(run.stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(run.stdout).toMatch(/^WALCAT_RESULT /u);
    expect(run.stderr).toContain('wal-g stub output');
  });

  it('reports PostgreSQL unavailable as 11 and a missing PGDATA as precondition failure 10', () => {
    const down = runWrapped(buildBackupPushScript(host({ pgData: pgData() })), { env: { WALCAT_STUB_PSQL_EXIT: '2' } });
    expect(down.code).toBe(HOST_SCRIPT_EXIT.postgresUnavailable);
    expect(parseScriptResult(down.stdout)).toMatchObject({
      status: 'failed',
      step: 'check-recovery',
      commandExitCode: 2,
    });
    expect(down.stdout.trim().split('\n')).toHaveLength(1);

    const missing = runWrapped(buildBackupPushScript(host({ pgData: join(sandbox.root, 'absent') })));
    expect(missing.code).toBe(HOST_SCRIPT_EXIT.preconditionFailed);
    expect(parseScriptResult(missing.stdout)).toMatchObject({ status: 'failed', step: 'check-pgdata', exitCode: 10 });
  });

  it('a shell step failing midway stops the script (set -e is not disabled inside steps)', () => {
    const marker = join(sandbox.root, 'after-false');
    const run = runWrapped(
      buildHostScript({
        name: 'midway',
        host: host(),
        steps: [{ kind: 'shell', name: 'two-commands', fragment: shell`false; touch ${marker}`, failureExitCode: 10 }],
      }),
    );
    expect(run.code).toBe(10);
    expect(parseScriptResult(run.stdout)).toMatchObject({ status: 'failed', step: 'two-commands', commandExitCode: 1 });
    expect(sandbox.run(`test -e ${quoteShellArg(marker)}`).code).toBe(1);
  });

  it('refuses a NUL in any host setting or step value, naming the field', () => {
    expect(() => buildBackupPushScript(host({ pgData: '/a\u0000b' }))).toThrow(/hosts\.pgData/u);
    expect(() => buildBackupPushScript(host({ walgEnvDir: '/e\u0000' }))).toThrow(/hosts\.walgEnvDir/u);
    expect(() => buildBackupPushScript(host({ walgBinary: 'wal-g; id' }))).toThrow(/hosts\.walgBinary/u);
    expect(() => buildBackupPushScript(host({ osUser: "postgres'" }))).toThrow(/hosts\.osUser/u);
    expect(() =>
      buildHostScript({ name: 'x', host: host(), steps: [{ kind: 'wal-g', name: 'w', args: ['a\u0000'] }] }),
    ).toThrow(/step w wal-g argument 0/u);
  });
});
