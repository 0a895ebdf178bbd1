import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSettings } from '../../../lib/domain/cluster.ts';
import { InvalidInputError } from '../../../lib/domain/errors.ts';
import {
  buildRestoreStepScript,
  movedAsidePath,
  postgresConfString,
  postgresTimestamp,
  RESTORE_STEPS,
  type RestoreScriptInput,
  recoveryConfBlock,
  recoverySettings,
  restoreCommand,
  restoredMarkerName,
  restoreLogPath,
  restoreRunDirectory,
} from '../../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';

const sandbox = mkdtempSync(join(tmpdir(), 'walcat-restore-scripts-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));
const currentUser = spawnSync('id', ['-un'], { encoding: 'utf8' }).stdout.trim();

const host: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  walgEnvDir: '/etc/wal-g.d/env',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};
const input: RestoreScriptInput = {
  jobId: 'r-1',
  host,
  baseBackup: 'base_000000010000000000000004',
  target: parseRestoreTarget({ to: '2026-11-20T14:30:00.250Z' }),
  timeline: 1,
  action: 'promote',
  inPlace: false,
  recoveryTimeoutSeconds: 600,
};

describe('recovery settings', () => {
  it.each([
    [{ to: '2026-11-20T14:30:00.250Z' }, ['recovery_target_time', '2026-11-20 14:30:00.250+00']],
    [{ lsn: '0/3000060' }, ['recovery_target_lsn', '0/3000060']],
    [{ name: "before 'migration'" }, ['recovery_target_name', "before 'migration'"]],
    [{ xid: '7345' }, ['recovery_target_xid', '7345']],
  ])('writes the target %j, the action, the timeline and archive_mode = off', (target, setting) => {
    const settings = recoverySettings({ ...input, target: parseRestoreTarget(target) });
    expect(settings).toEqual([
      ['restore_command', restoreCommand(host)],
      setting,
      ['recovery_target_action', 'promote'],
      ['recovery_target_timeline', '1'],
      ['archive_mode', 'off'],
    ]);
  });

  it('to latest: no target and no action, timeline latest', () => {
    expect(
      recoverySettings({ ...input, target: { kind: 'latest' }, timeline: 'latest' }).map(([name]) => name),
    ).toEqual(['restore_command', 'recovery_target_timeline', 'archive_mode']);
  });

  it('quotes conf strings and protects % in restore_command paths', () => {
    expect(postgresConfString("it's a\\b")).toBe("'it''s a\\\\b'");
    expect(restoreCommand({ ...host, walgEnvDir: '/etc/wal-g 100%/env' })).toContain(
      `then envdir '/etc/wal-g 100%%/env' 'wal-g' wal-fetch "%f" "%p"; else`,
    );
    expect(restoreCommand({ ...host, walgEnvDir: undefined })).toBe(`'wal-g' wal-fetch "%f" "%p"`);
    expect(postgresTimestamp(new Date('2026-11-20T14:30:00Z'))).toBe('2026-11-20 14:30:00.000+00');
  });

  it('refuses a setting value with a line break, which postgresql.conf cannot hold', () => {
    expect(() => postgresConfString('a\nrestore_command = evil')).toThrow(InvalidInputError);
    expect(() => recoverySettings({ ...input, extraSettings: { application_name: 'a\rb' } })).not.toThrow();
    expect(() => recoveryConfBlock({ ...input, extraSettings: { application_name: 'a\rb' } })).toThrow(
      InvalidInputError,
    );
  });

  it('refuses extra settings that would override the restore or name nothing', () => {
    for (const name of ['archive_mode', 'restore_command', 'recovery_target_time', 'Port', 'a;b']) {
      expect(() => recoverySettings({ ...input, extraSettings: { [name]: 'x' } })).toThrow(InvalidInputError);
    }
  });

  it('refuses bad job ids, backup names and data directories in every step', () => {
    for (const step of RESTORE_STEPS) {
      expect(() => buildRestoreStepScript(step, { ...input, jobId: '../x' })).toThrow(InvalidInputError);
      expect(() => buildRestoreStepScript(step, { ...input, host: { ...host, pgData: '/' } })).toThrow(
        InvalidInputError,
      );
    }
    expect(() => buildRestoreStepScript('fetch-backup', { ...input, baseBackup: 'LATEST' })).toThrow(InvalidInputError);
  });

  it('every step script is valid bash', () => {
    for (const step of RESTORE_STEPS) {
      const script = buildRestoreStepScript(step, { ...input, checkSql: 'select 1', extraSettings: { port: '5433' } });
      const check = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
      expect(check.stderr).toBe('');
      expect(check.status).toBe(0);
    }
  });
});

/** Runs a step script for real against a sandbox data directory, as the current user. */
function runStep(step: (typeof RESTORE_STEPS)[number], scriptInput: RestoreScriptInput) {
  const result = spawnSync('bash', ['-c', buildRestoreStepScript(step, scriptInput)], { encoding: 'utf8', cwd: '/' });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('step scripts in a sandbox', () => {
  const sandboxHost = (name: string): HostSettings => ({
    ...host,
    osUser: currentUser,
    pgData: join(sandbox, name, 'data'),
    service: { kind: 'pg_ctl', binDir: join(sandbox, 'no-bin') },
  });

  it('move-aside renames the data directory once and is a no-op when run again', () => {
    const settings = sandboxHost('move');
    mkdirSync(settings.pgData, { recursive: true });
    writeFileSync(join(settings.pgData, 'PG_VERSION'), '15\n');
    const first = runStep('move-aside', { ...input, host: settings });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('"movedAside":true');
    const aside = movedAsidePath(settings.pgData, 'r-1');
    expect(readFileSync(join(aside, 'PG_VERSION'), 'utf8')).toBe('15\n');
    const again = runStep('move-aside', { ...input, host: settings });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('"movedAside":false,"asideExists":true');
    expect(readFileSync(join(aside, 'PG_VERSION'), 'utf8')).toBe('15\n');
  });

  it('move-aside refuses to touch anything when both the data directory and the aside copy exist', () => {
    const settings = sandboxHost('both');
    mkdirSync(settings.pgData, { recursive: true });
    mkdirSync(movedAsidePath(settings.pgData, 'r-1'));
    const result = runStep('move-aside', { ...input, host: settings });
    expect(result.code).toBe(10);
    expect(result.stderr).toContain('move one of them away by hand');
    expect(existsSync(settings.pgData)).toBe(true);
  });

  it('configure-recovery writes hostile values verbatim, replaces its own block on rerun, runs no injected command', () => {
    fc.assert(
      fc.property(
        fc
          .string({ unit: 'grapheme', maxLength: 40 })
          .filter((text) => !['\n', '\r', '\u0000'].some((bad) => text.includes(bad))),
        (hostile) => {
          const settings = sandboxHost('configure');
          rmSync(join(sandbox, 'configure'), { recursive: true, force: true });
          mkdirSync(settings.pgData, { recursive: true });
          writeFileSync(join(settings.pgData, restoredMarkerName('r-1')), '');
          writeFileSync(join(settings.pgData, 'postgresql.auto.conf'), "# Do not edit\nwork_mem = '4MB'\n");
          const canary = join(sandbox, 'canary');
          const scriptInput: RestoreScriptInput = {
            ...input,
            host: settings,
            target: { kind: 'name', name: `x$(touch ${canary})\`touch ${canary}\`` },
            extraSettings: { application_name: hostile, port: '6543' },
          };
          expect(runStep('configure-recovery', scriptInput).code).toBe(0);
          expect(runStep('configure-recovery', scriptInput).code).toBe(0);
          const conf = readFileSync(join(settings.pgData, 'postgresql.auto.conf'), 'utf8');
          expect(conf).toBe(`# Do not edit\nwork_mem = '4MB'\n${recoveryConfBlock(scriptInput).text}`);
          expect(conf).toContain(`application_name = ${postgresConfString(hostile)}`);
          expect(existsSync(join(settings.pgData, 'recovery.signal'))).toBe(true);
          expect(existsSync(canary)).toBe(false);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('configure-recovery gives a copy in another data directory its own socket folder and a free port, kept on rerun', () => {
    const settings = sandboxHost('own-port');
    mkdirSync(settings.pgData, { recursive: true });
    writeFileSync(join(settings.pgData, restoredMarkerName('r-1')), '');
    // The backup carries the primary's listen settings; the copy must not inherit them.
    writeFileSync(
      join(settings.pgData, 'postgresql.auto.conf'),
      "port = '5432'\nunix_socket_directories = '/run/pg'\n",
    );
    const scriptInput: RestoreScriptInput = { ...input, host: settings };
    const first = runStep('configure-recovery', scriptInput);
    expect(first.code).toBe(0);
    const chosen = /"port":(\d+)/u.exec(first.stdout)?.[1];
    expect(Number(chosen)).toBeGreaterThanOrEqual(5433);
    expect(runStep('configure-recovery', scriptInput).stdout).toContain(`"port":${chosen}`);
    const conf = readFileSync(join(settings.pgData, 'postgresql.auto.conf'), 'utf8');
    const block = conf.slice(conf.indexOf('# walcat restore r-1: begin'));
    expect(block.match(/^port = .*$/gmu)).toEqual([`port = '${chosen}'`]);
    expect(block).toContain(`unix_socket_directories = '${restoreRunDirectory(settings.pgData)}'`);
    // The block comes last in postgresql.auto.conf, so its values win over the backup's.
    expect(conf.trimEnd().endsWith('# walcat restore r-1: end')).toBe(true);
  });

  it('configure-recovery in place keeps the cluster own port and socket directory', () => {
    const text = recoveryConfBlock({ ...input, inPlace: true }).text;
    expect(text).not.toMatch(/^(port|unix_socket_directories) = /mu);
    const script = buildRestoreStepScript('configure-recovery', { ...input, inPlace: true });
    expect(script).not.toContain('walcat_port');
  });

  it('preflight refuses a run folder the OS user cannot write, naming it and the fix', () => {
    const settings = { ...sandboxHost('unwritable'), osUser: 'nobody' };
    mkdirSync(restoreRunDirectory(settings.pgData), { recursive: true, mode: 0o700 });
    const stub = join(sandbox, 'unwritable', 'bin');
    mkdirSync(stub, { recursive: true });
    // runuser as the current user: the folder is then checked with the current user's rights (writable), so an
    // unwritable folder is simulated with a runuser that runs `test` as someone who cannot write.
    writeFileSync(join(stub, 'runuser'), '#!/bin/bash\nshift 3\nif [[ $1 == test ]]; then exit 1; fi\nexec "$@"\n', {
      mode: 0o755,
    });
    writeFileSync(join(stub, 'wal-g'), '#!/bin/bash\n', { mode: 0o755 });
    const result = spawnSync('bash', ['-c', buildRestoreStepScript('preflight', { ...input, host: settings })], {
      encoding: 'utf8',
      cwd: '/',
      env: { ...process.env, PATH: `${stub}:${process.env.PATH}` },
    });
    expect(result.status).toBe(10);
    expect(result.stderr).toContain(
      `${restoreRunDirectory(settings.pgData)} (the restored copy's log and socket folder) is not writable by nobody`,
    );
    expect(restoreLogPath(settings.pgData, 'r-1')).toBe(`${restoreRunDirectory(settings.pgData)}/r-1.log`);
  });

  it('preflight refuses a socket folder path too long for a unix socket, unless a setting names another', () => {
    const long = { ...host, pgData: `/srv/${'d'.repeat(90)}` };
    expect(buildRestoreStepScript('preflight', { ...input, host: long })).toContain('would be longer than 107 bytes');
    const named = { ...input, host: long, extraSettings: { unix_socket_directories: '/run/copy' } };
    expect(buildRestoreStepScript('preflight', named)).not.toContain('would be longer than 107 bytes');
  });

  it('wait-recovery and verify talk to the server on the data directory (postmaster.pid), never PGHOST/PGPORT', () => {
    const dir = join(sandbox, 'talks-to-copy');
    const bin = join(dir, 'bin');
    const env = join(dir, 'env');
    const calls = join(dir, 'calls');
    mkdirSync(bin, { recursive: true });
    mkdirSync(env, { recursive: true });
    writeFileSync(join(env, 'PGHOST'), '/var/run/primary\n');
    writeFileSync(join(env, 'PGPORT'), '5432\n');
    const settings: HostSettings = {
      ...sandboxHost('talks-to-copy'),
      walgEnvDir: env,
      service: { kind: 'pg_ctl', binDir: bin },
    };
    mkdirSync(settings.pgData, { recursive: true });
    writeFileSync(
      join(settings.pgData, 'postmaster.pid'),
      `4242\n${settings.pgData}\n1700000000\n5999\n/srv/copy/sock\n\n  5999001  1\nready\n`,
    );
    const state = '{"inRecovery" : false, "timeline" : 2, "port" : 5999}';
    writeFileSync(
      join(bin, 'psql'),
      `#!/bin/bash\nprintf '%s|%s|%s\\n' "$PGHOST" "$PGPORT" "$(echo "$*" | tr '\\n' ' ')" >> ${calls}\nif [[ $* == *pause_state* ]]; then echo f,; else printf '%s\\n' '${state}'; fi\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(bin, 'pg_ctl'), '#!/bin/bash\nexit 0\n', { mode: 0o755 });
    for (const step of ['wait-recovery', 'verify'] as const) {
      writeFileSync(calls, '');
      const result = runStep(step, { ...input, host: settings, checkSql: 'select true', recoveryTimeoutSeconds: 2 });
      expect(result.stderr).not.toContain('walcat:');
      const lines = readFileSync(calls, 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThan(0);
      for (const line of lines)
        expect(line).toMatch(
          /^\/var\/run\/primary\|5432\|-X -A -t -q -v ON_ERROR_STOP=1 -h \/srv\/copy\/sock -p 5999 -c /u,
        );
    }
  });

  it('configure-recovery refuses a data directory that is not this job copy', () => {
    const settings = sandboxHost('foreign');
    mkdirSync(settings.pgData, { recursive: true });
    const result = runStep('configure-recovery', { ...input, host: settings });
    expect(result.code).toBe(10);
    expect(existsSync(join(settings.pgData, 'recovery.signal'))).toBe(false);
  });
});

describe('start-postgres hands the server none of the script’s own output descriptors', () => {
  // fd 3 carries the result line and fd 4 is the original stderr. A server that inherited either would hold the
  // command's output open for as long as it runs, so the command (SSM's, or the local transport's) would never end.
  it('the process pg_ctl starts has stdout and stderr, but neither fd 3 nor fd 4', () => {
    const dir = join(sandbox, 'inherited-fds');
    const binDir = join(dir, 'bin');
    const pgData = join(dir, 'data');
    const fdList = join(dir, 'server-fds');
    mkdirSync(binDir, { recursive: true });
    mkdirSync(pgData);
    // Stands in for pg_ctl and the server it leaves running: reports "not running" to the status probe, and on start
    // lists the descriptors it was given.
    writeFileSync(
      join(binDir, 'pg_ctl'),
      `#!/bin/bash\nfor arg in "$@"; do [[ $arg == status ]] && exit 3; done\nls /proc/$$/fd > '${fdList}'\n`,
      { mode: 0o755 },
    );
    writeFileSync(join(pgData, restoredMarkerName('r-1')), '');
    const script = buildRestoreStepScript('start-postgres', {
      ...input,
      host: { ...host, osUser: currentUser, pgData, service: { kind: 'pg_ctl', binDir } },
    });
    const run = spawnSync('bash', ['-c', script], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    const fds = readFileSync(fdList, 'utf8').split('\n').filter(Boolean).map(Number);
    expect(fds).toEqual(expect.arrayContaining([0, 1, 2]));
    expect(fds).not.toContain(3);
    expect(fds).not.toContain(4);
  });
});
