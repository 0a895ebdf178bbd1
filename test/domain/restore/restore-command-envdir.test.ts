import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostSettings } from '../../../lib/domain/cluster.ts';
import { restoreCommand } from '../../../lib/domain/restore/restore-scripts.ts';

/**
 * The restored copy's restore_command, run as PostgreSQL runs it (`/bin/sh -c` with %f, %p and %% expanded), on a
 * host with daemontools' envdir and on one without: both must give WAL-G the env dir's variables.
 */

const sandbox = mkdtempSync(join(tmpdir(), 'walcat-restore-command-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

const envDir = join(sandbox, 'wal-g 100% env');
mkdirSync(envDir);
writeFileSync(join(envDir, 'WALG_S3_PREFIX'), 's3://acme/orders-main\n');
writeFileSync(join(envDir, 'AWS_REGION'), 'eu-west-1  \n');

/** A stand-in wal-g that records its arguments and the variables it was given. */
const fakeWalg = join(sandbox, 'wal-g');
writeFileSync(
  fakeWalg,
  '#!/bin/sh\nprintf "%s|%s|%s|%s|%s\\n" "$1" "$2" "$3" "$WALG_S3_PREFIX" "$AWS_REGION" > "$3.args"\n',
);
chmodSync(fakeWalg, 0o755);

/** A PATH holding only a stand-in envdir that marks its use, then runs daemontools' semantics through env. */
const withEnvdir = join(sandbox, 'bin-with-envdir');
mkdirSync(withEnvdir);
writeFileSync(
  join(withEnvdir, 'envdir'),
  `#!/bin/bash\ndir=$1; shift; : > "${sandbox}/envdir-used"\nfor f in "$dir"/*; do read -r v < "$f"; v=\${v%"\${v##*[![:blank:]]}"}; export "\${f##*/}=$v"; done\nexec "$@"\n`,
);
chmodSync(join(withEnvdir, 'envdir'), 0o755);
const withoutEnvdir = join(sandbox, 'bin-empty');
mkdirSync(withoutEnvdir);

const host: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  walgEnvDir: envDir,
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: fakeWalg,
};

/** What PostgreSQL does with restore_command: expand %f, %p and %%, then run it with /bin/sh. */
function runAsPostgresWould(command: string, path: string, file: string, target: string) {
  const expanded = command.replace(/%([fp%])/g, (_, code: string) =>
    code === 'f' ? file : code === 'p' ? target : '%',
  );
  return spawnSync('/bin/sh', ['-c', expanded], {
    env: { PATH: path },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('restore_command with walgEnvDir', () => {
  it.each([
    ['without daemontools (built-in loader)', withoutEnvdir, false],
    ['with daemontools envdir', withEnvdir, true],
  ])('%s: WAL-G gets the env dir variables', (_name, path, usesEnvdir) => {
    const target = join(sandbox, `pg_wal-${usesEnvdir}`);
    const result = runAsPostgresWould(restoreCommand(host), path, '000000010000000000000003', target);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(readFileSync(`${target}.args`, 'utf8')).toBe(
      `wal-fetch|000000010000000000000003|${target}|s3://acme/orders-main|eu-west-1\n`,
    );
    expect(existsSync(join(sandbox, 'envdir-used'))).toBe(usesEnvdir);
  });

  it('passes WAL-G failure through as the command exit code (PostgreSQL reads non-zero as "not in the archive")', () => {
    const failing: HostSettings = { ...host, walgBinary: '/bin/false' };
    expect(runAsPostgresWould(restoreCommand(failing), withoutEnvdir, 'f', join(sandbox, 'x')).status).not.toBe(0);
  });

  it('fits on one postgresql.conf line', () => {
    expect(restoreCommand(host)).not.toMatch(/[\n\r]/);
  });
});
