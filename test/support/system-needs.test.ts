import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BASE_SYSTEM, NOT_MACHINE_TOOLS, SYSTEM_NEEDS } from './system-needs.ts';

/**
 * The fresh-machine check: the README's set-up (`npm run setup`, the same script .ci/run runs) installs every
 * system package the tests, the local stack and the benchmarks use, and on a machine without them it stops at once
 * naming the exact command.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const SCRIPT = join(ROOT, 'scripts', 'setup-system.sh');
const scriptText = readFileSync(SCRIPT, 'utf8');
const empty = mkdtempSync(join(tmpdir(), 'walcat-fresh-machine-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

/** The `package:probe` entries of the script's PACKAGES list. */
function scriptPackages(): Map<string, string> {
  const block = /^PACKAGES=\(\n([\s\S]*?)^\)/m.exec(scriptText)?.[1] ?? '';
  return new Map(
    [...block.matchAll(/"([a-z0-9.+-]+):([^"]+)"/g)].map((match) => [match[1] as string, match[2] as string]),
  );
}

/** The `command:install command` entries of the script's OTHER_TOOLS list. */
function scriptOtherTools(): Map<string, string> {
  const block = /^OTHER_TOOLS=\(\n([\s\S]*?)^\)/m.exec(scriptText)?.[1] ?? '';
  return new Map(
    [...block.matchAll(/"([A-Za-z0-9_.-]+):([^"]+)"/g)].map((match) => [match[1] as string, match[2] as string]),
  );
}

const debianNeeds = SYSTEM_NEEDS.filter((need) => need.source !== 'other');

function sourceFiles(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mjs|sh)$/.test(name) ? [path] : [];
  });
}

const sources = ['lib', 'test', 'bench', 'scripts', 'bin'].flatMap((folder) => sourceFiles(join(ROOT, folder)));
const needTools = new Set(SYSTEM_NEEDS.flatMap((need) => need.tools));

describe('fresh machine: the set-up installs every system package the code needs', () => {
  it('lists every needed package in the set-up script, probed by one of its tools', () => {
    const packages = scriptPackages();
    expect(packages.size).toBeGreaterThan(0);
    for (const need of debianNeeds) {
      expect(packages.get(need.package), `${need.package} (${need.why})`).toBeDefined();
      expect(need.tools).toContain(packages.get(need.package));
    }
    expect([...packages.keys()].sort()).toEqual(debianNeeds.map((need) => need.package).sort());
    const others = scriptOtherTools();
    for (const need of SYSTEM_NEEDS.filter((candidate) => candidate.source === 'other')) {
      for (const tool of need.tools) expect(others.get(tool), `${tool} (${need.why})`).toBe(need.package);
    }
  });

  it('names each tool of the table in the files said to use it (the table is not stale)', () => {
    for (const need of SYSTEM_NEEDS) {
      for (const file of need.usedBy) {
        const text = readFileSync(join(ROOT, file), 'utf8');
        const mentions = need.tools.some(
          (tool) =>
            text.includes(tool) ||
            (tool.startsWith('/usr/lib/postgresql/15/bin/') && text.includes('/usr/lib/postgresql/15/bin')),
        );
        expect(mentions, `${file} uses ${need.package}`).toBe(true);
      }
    }
  });

  it('finds no system binary in the code that the table does not declare', () => {
    const undeclared: string[] = [];
    const absolute =
      /(?<![\w.}$-])(\/usr(?:\/local)?\/(?:s?bin|lib\/postgresql\/\d+\/bin)|\/s?bin)\/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)?/g;
    const spawned = /\b(?:spawn|spawnSync|execFile|execFileSync)\(\s*'([^']+)'/g;
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      const at = relative(ROOT, file);
      for (const [path] of text.matchAll(absolute)) {
        // bin/walcat.mjs and bin/wal-g-local.mjs are this checkout's own files, named relative to it.
        if (path.endsWith('.mjs')) continue;
        if (!needTools.has(path) && !BASE_SYSTEM.has(path) && NOT_MACHINE_TOOLS[path] === undefined) {
          if (!/^\/usr\/lib\/postgresql\/15\/bin\//.test(path)) undeclared.push(`${at}: ${path}`);
        }
      }
      for (const [, command = ''] of text.matchAll(spawned)) {
        if (!needTools.has(command) && !BASE_SYSTEM.has(command)) undeclared.push(`${at}: spawns ${command}`);
      }
    }
    expect(undeclared).toEqual([]);
  });

  it('on a machine without the packages, --check stops at once naming the exact command', () => {
    const result = spawnSync('/bin/bash', [SCRIPT, '--check'], {
      env: { PATH: empty, WALCAT_SETUP_ROOT: empty },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(result.status).toBe(1);
    const packages = debianNeeds.map((need) => need.package).join(' ');
    expect(result.stderr).toContain(`missing Debian packages: ${packages}`);
    expect(result.stderr).toContain("moto_server is missing (not a Debian package); run: pip install 'moto[server]'");
    expect(result.stderr).toContain(`sudo apt-get install -y --no-install-recommends ${packages}`);
    expect(result.stderr).toContain('npm run setup');
  });

  it('on a machine without the packages and without root or sudo, install mode stops naming the command', () => {
    // `id` says uid 1000 and there is no sudo: the script must refuse instead of half-installing.
    const bin = join(empty, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'id'), '#!/bin/sh\necho 1000\n', { mode: 0o755 });
    const result = spawnSync('/bin/bash', [SCRIPT], {
      env: { PATH: bin, WALCAT_SETUP_ROOT: empty },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('cannot install them (not root, no password-less sudo); run: sudo apt-get update');
  });

  it('passes --check on this machine (the tests need every package)', () => {
    const result = spawnSync('/bin/bash', [SCRIPT, '--check'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('is what the README, npm run setup and .ci/run use, and .ci/run keeps no package list of its own', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(manifest.scripts.setup).toBe('bash scripts/setup-system.sh');
    const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
    expect(ci).toContain('bash scripts/setup-system.sh');
    for (const need of debianNeeds) expect(ci).not.toContain(need.package);
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const setUp = /```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    expect(setUp.indexOf('npm run setup')).toBeGreaterThanOrEqual(0);
    expect(setUp.indexOf('npm run setup')).toBeLessThan(setUp.indexOf('npm test'));
  });
});
