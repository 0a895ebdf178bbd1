/**
 * The web view shows which stretches of the restorable window need a thaw: WAL moved to GLACIER by a lifecycle
 * rule still counts as archived, but a restore into it waits for RestoreObject first.
 */
import { describe, expect, it } from 'vitest';
import { createWebViewApp } from '../../lib/web-view/web-view-app.ts';
import { BACKUPS, CLUSTER, DRILL, fixtureCatalog, NOW, WAL } from './web-view-fixture.ts';

// The first range (segments 2..8, before the missing 9..11) moved to GLACIER; the second stays STANDARD.
const frozenWal = WAL.map((record) =>
  record.segNo !== undefined && record.segNo <= 8 ? { ...record, storageClass: 'GLACIER' } : record,
);

const app = createWebViewApp({
  clusters: [CLUSTER],
  deps: { catalog: fixtureCatalog(BACKUPS, frozenWal), jobs: async () => [DRILL] },
  now: () => NOW,
});

describe('the web view and frozen objects', () => {
  it('marks the range in GLACIER as needing a thaw in the table and the picture, and the other as restoring now', async () => {
    const response = await app.handle({ method: 'GET', path: `/clusters/${CLUSTER.id}`, query: {} });
    expect(response.statusCode).toBe(200);
    const page = String(response.body);
    const thawRows = page.match(/<tr class="window-thaw-row">.*?<\/tr>/g) ?? [];
    expect(thawRows).toHaveLength(1);
    expect(thawRows[0]).toContain('needs a thaw (GLACIER): restore start --thaw');
    expect(thawRows[0]).toContain('2026-11-20 10:01:00Z');
    expect(page.match(/<rect class="window-thaw"/g) ?? []).toHaveLength(1);
    expect(page).toContain('data-from="2026-11-20T10:01:00.000Z" data-to="2026-11-20T10:08:00.000Z"');
    expect((page.match(/<tr class="window-row">.*?<\/tr>/g) ?? []).map((row) => row.includes('restores now'))).toEqual([
      false,
      true,
    ]);
  });

  it('gives the thaw parts in the JSON view', async () => {
    const response = await app.handle({ method: 'GET', path: `/clusters/${CLUSTER.id}`, query: { format: 'json' } });
    const view = JSON.parse(String(response.body));
    expect(view.windows.map((range: { thawParts: unknown[] }) => range.thawParts)).toEqual([
      [
        {
          from: '2026-11-20T10:01:00.000Z',
          to: '2026-11-20T10:08:00.000Z',
          baseBackup: BACKUPS[0]?.name,
          storageClasses: ['GLACIER'],
        },
      ],
      [],
    ]);
  });
});
