import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createWebViewHandler } from '../../lib/handlers/web-view-handler.ts';
import type { ClusterView } from '../../lib/web-view/cluster-view.ts';
import { createWebViewApp } from '../../lib/web-view/web-view-app.ts';
import {
  CLUSTER,
  DRILL,
  fixtureCatalog,
  HOSTILE_NAME,
  HOSTILE_PROBLEM,
  MISSING,
  NOW,
  segmentName,
} from '../web-view/web-view-fixture.ts';

const event = JSON.parse(
  readFileSync(new URL('../../events/web-view-get-cluster.json', import.meta.url), 'utf8'),
) as APIGatewayProxyEventV2;

const handler = createWebViewHandler(
  createWebViewApp({
    clusters: [CLUSTER],
    deps: { catalog: fixtureCatalog(), jobs: async () => [DRILL] },
    now: () => NOW,
  }),
  new Logger({ logLevel: 'SILENT' }),
);

async function invoke(change: Partial<APIGatewayProxyEventV2> = {}): Promise<APIGatewayProxyStructuredResultV2> {
  return (await handler({ ...event, ...change }, {} as Context)) as APIGatewayProxyStructuredResultV2;
}

describe('web-view handler on the sample HTTP API event', () => {
  it('answers the cluster as JSON: the gap, both restorable ranges and the last drill', async () => {
    const response = await invoke();
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-type']).toBe('application/json; charset=utf-8');
    const view = JSON.parse(String(response.body)) as ClusterView;
    expect(view.status).toBe('FAILURE');
    expect(view.gaps).toEqual([
      expect.objectContaining({
        timeline: 1,
        from: segmentName(MISSING.from),
        to: segmentName(MISSING.to),
        count: 3,
        status: 'lost',
        after: '2026-11-20T10:08:00.000Z',
        before: '2026-11-20T10:12:00.000Z',
      }),
    ]);
    expect(view.windows.map((range) => [range.from, range.to])).toEqual([
      ['2026-11-20T10:01:00.000Z', '2026-11-20T10:08:00.000Z'],
      ['2026-11-20T10:14:30.000Z', '2026-11-20T10:20:00.000Z'],
    ]);
    expect(view.lastDrill?.id).toBe(DRILL.id);
    expect(view.backups.find((backup) => backup.name === HOSTILE_NAME)?.problem).toBe(HOSTILE_PROBLEM);
  });

  it('serves the page with every hostile string escaped and a policy that allows no script', async () => {
    const response = await invoke({
      rawPath: '/',
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, path: '/' } },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers?.['content-security-policy']).toContain("default-src 'none'");
    const body = String(response.body);
    expect(body).not.toContain('<script');
    expect(body).not.toContain('<img');
    expect(body).toContain('base_&lt;img src=x onerror=&quot;window.__pwned=1&quot;&gt;');
    expect(body).toContain('&lt;script&gt;window.__pwned=2&lt;/script&gt;');
  });

  it('answers an unknown cluster with 404 naming the known ones, and refuses writes', async () => {
    const missing = await invoke({ rawPath: '/api/clusters/%3Cb%3Enope' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(String(missing.body))).toEqual({
      error: 'no cluster "<b>nope" in the config file; known clusters: orders-main',
    });
    const page = await invoke({ rawPath: '/clusters/%3Cb%3Enope' });
    expect(page.statusCode).toBe(404);
    expect(String(page.body)).toContain('&lt;b&gt;nope');
    const post = await invoke({
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'POST' } },
    });
    expect(post.statusCode).toBe(405);
  });
});
