import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { grantPostgresSearchPath } from '../../lib/local-archiver/postgres-access.ts';

const root = mkdtempSync(join(tmpdir(), 'walcat-access-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('grantPostgresSearchPath', () => {
  it('as root, adds search permission (only o+x) to the private folders above a checkout, and nothing else', () => {
    const checkout = join(root, 'private', 'walcat');
    mkdirSync(checkout, { recursive: true, mode: 0o700 });
    const before = statSync(join(root, 'private')).mode & 0o777;
    const changed = grantPostgresSearchPath(checkout);
    if (process.getuid?.() === 0) {
      expect(changed).toEqual(expect.arrayContaining([checkout, join(root, 'private'), root]));
      expect(statSync(join(root, 'private')).mode & 0o777).toBe(before | 0o001);
      // A second call finds nothing left to open.
      expect(grantPostgresSearchPath(checkout)).toEqual([]);
    } else {
      // Without root, nothing is changed: the local stack then names the folder to fix.
      expect(changed).toEqual([]);
      expect(statSync(join(root, 'private')).mode & 0o777).toBe(before);
    }
  });
});
