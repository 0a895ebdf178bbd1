import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { choosePackageConfig } from '../../scripts/package-config.ts';

/** `npm run package` packages the operator's config and says which; the fictional example only when asked. */

const ROOT = join(import.meta.dirname, '..', '..');
const root = '/srv/walcat';
const files =
  (...present: string[]) =>
  (path: string) =>
    present.includes(path);
const scratch = mkdtempSync(join(tmpdir(), 'walcat-package-config-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('the config npm run package packages', () => {
  it('refuses to package the example silently when there is no walcat.config.yml, naming the fix', () => {
    expect(() =>
      choosePackageConfig({ root, env: {}, argv: [], exists: files(`${root}/walcat.config.example.yml`) }),
    ).toThrow(
      /no walcat\.config\.yml in \/srv\/walcat and WALCAT_CONFIG is unset.*copy walcat\.config\.example\.yml to walcat\.config\.yml.*npm run package -- --example/,
    );
  });

  it.each([[{ argv: ['--example'], env: {} }], [{ argv: [], env: { WALCAT_PACKAGE_EXAMPLE: '1' } }]])(
    'packages the example when asked: %j',
    ({ argv, env }) => {
      expect(choosePackageConfig({ root, env, argv, exists: files() })).toEqual({
        path: `${root}/walcat.config.example.yml`,
        example: true,
      });
    },
  );

  it('prefers the operator config over the example, and WALCAT_CONFIG over both (relative or absolute)', () => {
    const all = files(`${root}/walcat.config.yml`, `${root}/prod.yml`, '/etc/walcat/prod.yml');
    expect(choosePackageConfig({ root, env: {}, argv: ['--example'], exists: all })).toEqual({
      path: `${root}/walcat.config.yml`,
      example: false,
    });
    expect(choosePackageConfig({ root, env: { WALCAT_CONFIG: 'prod.yml' }, argv: [], exists: all }).path).toBe(
      `${root}/prod.yml`,
    );
    expect(
      choosePackageConfig({ root, env: { WALCAT_CONFIG: '/etc/walcat/prod.yml' }, argv: [], exists: all }).path,
    ).toBe('/etc/walcat/prod.yml');
  });

  it('names a WALCAT_CONFIG that does not exist', () => {
    expect(() => choosePackageConfig({ root, env: { WALCAT_CONFIG: 'nope.yml' }, argv: [], exists: files() })).toThrow(
      'WALCAT_CONFIG names /srv/walcat/nope.yml, which does not exist',
    );
  });

  it('the script stops with exit 2 and a walcat: message before packaging anything', () => {
    const missing = join(scratch, 'missing.yml');
    const refused = spawnSync(process.execPath, [join(ROOT, 'scripts', 'serverless-package.mjs')], {
      cwd: ROOT,
      env: { ...process.env, WALCAT_CONFIG: missing },
      encoding: 'utf8',
    });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`walcat: npm run package: WALCAT_CONFIG names ${missing}, which does not exist`);
    const invalid = join(scratch, 'invalid.yml');
    writeFileSync(invalid, 'clusters: []\n');
    const bad = spawnSync(process.execPath, [join(ROOT, 'scripts', 'serverless-package.mjs')], {
      cwd: ROOT,
      env: { ...process.env, WALCAT_CONFIG: invalid },
      encoding: 'utf8',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`walcat: npm run package: ${invalid}: clusters: is empty`);
  });
});
