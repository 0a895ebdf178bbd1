/**
 * The web view's routes, independent of how requests arrive (the local stack's HTTP server, API Gateway):
 *
 * | route | answer |
 * |---|---|
 * | `GET /` | the page of every cluster (`?format=json`: `{ clusters: ClusterView[] }`) |
 * | `GET /clusters/<id>` | one cluster's page (`?format=json`: its ClusterView) |
 * | `GET /api/clusters` | `{ clusters: ClusterSummaryView[] }` |
 * | `GET /api/clusters/<id>` | the cluster's ClusterView |
 *
 * Pages carry a Content-Security-Policy without scripts, so even a string that escaped escaping could not run.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { buildClusterView, type ClusterViewDependencies, clusterSummary } from './build-cluster-view.ts';
import { renderPage } from './cluster-page.ts';
import { escapeHtml } from './html-escape.ts';

export interface WebRequest {
  readonly method: string;
  /** The path without the query, e.g. `/clusters/orders-main`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string | undefined>>;
}

export interface WebResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export interface WebViewAppOptions {
  readonly clusters: readonly ClusterConfig[];
  readonly deps: ClusterViewDependencies;
  readonly now: () => Date;
  /** The page reloads itself this often (the local stack sets it; absent means no reload). */
  readonly refreshSeconds?: number;
  /** Reports an unexpected failure (the response never carries it). */
  readonly onError?: (error: unknown, request: WebRequest) => void;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
};

const json = (statusCode: number, value: unknown): WebResponse => ({
  statusCode,
  headers: { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' },
  body: `${JSON.stringify(value, null, 2)}\n`,
});

const html = (statusCode: number, body: string): WebResponse => ({
  statusCode,
  headers: { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8' },
  body,
});

function problem(statusCode: number, message: string, wantsJson: boolean): WebResponse {
  return wantsJson
    ? json(statusCode, { error: message })
    : html(statusCode, `<!doctype html><meta charset="utf-8"><title>walcat</title><p>${escapeHtml(message)}</p>`);
}

export function createWebViewApp(options: WebViewAppOptions): { handle(request: WebRequest): Promise<WebResponse> } {
  const find = (id: string) => options.clusters.find((cluster) => cluster.id === id);
  return {
    async handle(request) {
      const path = request.path.replace(/\/+$/, '') || '/';
      const isApi = path === '/api/clusters' || path.startsWith('/api/clusters/');
      const wantsJson = isApi || request.query.format === 'json';
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        return {
          ...problem(405, 'the web view is read-only: use GET', wantsJson),
          headers: { ...SECURITY_HEADERS, allow: 'GET, HEAD' },
        };
      }
      try {
        const now = options.now();
        if (path === '/' || path === '/api/clusters') {
          const views = await Promise.all(
            options.clusters.map((cluster) => buildClusterView(options.deps, cluster, now)),
          );
          if (path === '/api/clusters') return json(200, { clusters: views.map(clusterSummary) });
          if (wantsJson) return json(200, { clusters: views });
          return html(
            200,
            renderPage(views, options.refreshSeconds === undefined ? {} : { refreshSeconds: options.refreshSeconds }),
          );
        }
        const match = /^\/(?:api\/)?clusters\/([^/]+)$/.exec(path);
        if (match) {
          let id: string;
          try {
            id = decodeURIComponent(match[1] as string);
          } catch {
            return problem(400, 'the cluster id in the path is not valid URL encoding', wantsJson);
          }
          const cluster = find(id);
          if (!cluster) {
            const known = options.clusters.map((candidate) => candidate.id).join(', ');
            return problem(
              404,
              `no cluster ${JSON.stringify(id)} in the config file; known clusters: ${known}`,
              wantsJson,
            );
          }
          const view = await buildClusterView(options.deps, cluster, now);
          if (wantsJson) return json(200, view);
          return html(
            200,
            renderPage([view], options.refreshSeconds === undefined ? {} : { refreshSeconds: options.refreshSeconds }),
          );
        }
        return problem(404, `nothing at ${path}: try / or /api/clusters`, wantsJson);
      } catch (error) {
        options.onError?.(error, request);
        return problem(500, 'the web view could not read the catalog; see the logs', wantsJson);
      }
    },
  };
}
