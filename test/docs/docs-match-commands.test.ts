import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_BAD_NEWS, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE } from '../../lib/cli/cli-command.ts';

/** The README and docs say what the commands do and print. */

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const docs = readdirSync(join(ROOT, 'docs'))
  .filter((name) => name.endsWith('.md'))
  .map((name) => ({ name: `docs/${name}`, text: readFileSync(join(ROOT, 'docs', name), 'utf8') }));

describe('README and docs', () => {
  it('give psql a socket directory only as an absolute path (psql reads a relative one as a host name)', () => {
    const hosts = [{ name: 'README.md', text: readme }, ...docs].flatMap(({ name, text }) =>
      [...text.matchAll(/psql[^`\n]*?-h\s+("?)([^\s"`]+)/g)].map((match) => ({ name, host: match[2] as string })),
    );
    expect(hosts.length).toBeGreaterThan(0);
    for (const { name, host } of hosts) {
      expect(host, `${name}: psql -h ${host}`).toMatch(/^(\/|\$PWD\/|\$\{PWD\}\/|<)/);
    }
  });

  it('document every exit code the CLI uses', () => {
    for (const [code, meaning] of [
      [EXIT_OK, /^\| 0 \| success/m],
      [EXIT_BAD_NEWS, /^\| 1 \| bad news/m],
      [EXIT_USAGE, /^\| 2 \| usage or configuration error/m],
      [EXIT_UNREACHABLE, /^\| 3 \| walcat could not reach a service/m],
    ] as const) {
      expect(readme, `exit code ${code}`).toMatch(meaning);
    }
  });
});
