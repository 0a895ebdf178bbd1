/**
 * The import arrows point down (doors → handlers/wiring → use cases → ports/domain; adapters implement ports), and
 * Biome enforces it per folder (biome.json's overrides). Each case lints a one-line file placed in a copy of the
 * layout with the project's own biome.json, so a rule that stops matching fails here, not in review.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
mkdirSync(join(root, 'test-output'), { recursive: true });
const sandbox = mkdtempSync(join(root, 'test-output', 'lint-'));
afterAll(() => rmSync(sandbox, { recursive: true, force: true }));

const config = JSON.parse(readFileSync(join(root, 'biome.json'), 'utf8'));
// The sandbox is no git checkout; everything else is the project's configuration as it is.
writeFileSync(join(sandbox, 'biome.json'), JSON.stringify({ ...config, vcs: { enabled: false } }));

interface Diagnostic {
  readonly category: string;
  readonly message: string;
}

function lint(file: string, specifier: string): Diagnostic[] {
  const path = join(sandbox, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `import { probe } from '${specifier}';\n\nexport const used = probe;\n`);
  const run = spawnSync(process.execPath, [join(root, 'scripts', 'biome.mjs'), 'lint', '--reporter=json', file], {
    cwd: sandbox,
    encoding: 'utf8',
  });
  rmSync(path);
  const report = JSON.parse(run.stdout) as { diagnostics: Diagnostic[] };
  return report.diagnostics.filter((diagnostic) => diagnostic.category === 'lint/style/noRestrictedImports');
}

const upward: [string, string, RegExp][] = [
  ['lib/adapters/probe.ts', '../use-cases/sync-catalog.ts', /Adapters .* never import use cases/],
  ['lib/adapters/s3/probe.ts', '../../wiring/adapter-set.ts', /Adapters .* never import/],
  ['lib/adapters/events/probe.ts', '../../handlers/lambda-chain.ts', /Adapters .* never import/],
  ['lib/use-cases/probe.ts', '../adapters/s3/s3-object-store.ts', /Use cases .* never on adapters/],
  ['lib/use-cases/probe.ts', '../wiring/adapter-set.ts', /Use cases .* never on adapters, the wiring/],
  ['lib/config/probe.ts', '../adapters/aws/aws-clients.ts', /Config .* depends on the domain only/],
  ['lib/web-view/probe.ts', '../local-stack/loopback-listener.ts', /The web view renders/],
  ['lib/domain/probe.ts', '../use-cases/sync-catalog.ts', /The domain depends on nothing outside/],
  ['lib/cli/probe.ts', '../../functions/wal-watch.ts', /nothing in lib\/ imports them/],
  ['lib/domain/wal/probe.ts', '../../../functions/wal-watch.ts', /nothing in lib\/ imports them/],
  ['lib/adapters/probe.ts', '../../functions/wal-watch.ts', /nothing in lib\/ imports them/],
  ['lib/handlers/probe.ts', '../wiring/adapter-set.ts', /Handler factories take their dependencies/],
];

const downward: [string, string][] = [
  ['lib/cli/probe.ts', '../use-cases/sync-catalog.ts'],
  ['lib/wiring/probe.ts', '../adapters/s3/s3-object-store.ts'],
  ['lib/adapters/probe.ts', '../ports/catalog-store.ts'],
  ['lib/use-cases/probe.ts', '../ports/catalog-store.ts'],
  ['lib/handlers/probe.ts', '../use-cases/sync-catalog.ts'],
  ['functions/probe.ts', '../lib/wiring/deployed-adapter-set.ts'],
];

describe('import direction lint', () => {
  it.each(upward)('%s importing %s is refused', (file, specifier, message) => {
    const diagnostics = lint(file, specifier);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]?.message).toMatch(message);
  });

  it.each(downward)('%s importing %s is allowed', (file, specifier) => {
    expect(lint(file, specifier)).toEqual([]);
  });
});
