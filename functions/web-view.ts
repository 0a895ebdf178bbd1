import { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { hostJobView } from '../lib/web-view/host-job-view.ts';
import { restoreJobView } from '../lib/web-view/restore-job-view.ts';
import { createWebViewApp, type WebRequest, type WebResponse } from '../lib/web-view/web-view-app.ts';
import { deployedAdapterSet } from '../lib/wiring/deployed-adapter-set.ts';

/** Jobs shown per cluster (backups, probes, restores, drills), newest first. */
const JOBS_SHOWN = 20;

type WebViewApp = { handle(request: WebRequest): Promise<WebResponse> };

/**
 * The read-only web view behind an API Gateway HTTP API route with IAM authorization: the same pages and JSON the
 * local stack serves, read from the catalog table.
 */
export function createWebViewHandler(app: WebViewApp) {
  return middy(async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const response = await app.handle({
      method: event.requestContext?.http?.method ?? 'GET',
      path: event.rawPath ?? '/',
      query: event.queryStringParameters ?? {},
    });
    return { statusCode: response.statusCode, headers: { ...response.headers }, body: response.body };
  });
}

function buildDefault() {
  const adapters = deployedAdapterSet();
  const logger = new Logger({ serviceName: 'walcat-web-view' });
  const app = createWebViewApp({
    clusters: adapters.config.clusters,
    deps: {
      catalog: adapters.catalog(),
      alerts: adapters.alerts(),
      plans: adapters.plans(),
      jobs: async (cluster) => {
        const [host, restores] = await Promise.all([
          adapters.hostCommands().jobs.list(cluster.id, { limit: JOBS_SHOWN }),
          adapters.restore().jobs.list(cluster.id, { limit: JOBS_SHOWN }),
        ]);
        return [...host.map(hostJobView), ...restores.map(restoreJobView)]
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt))
          .slice(0, JOBS_SHOWN);
      },
    },
    now: () => new Date(),
    onError: (error, request) => logger.error('web view request failed', { path: request.path, error: error as Error }),
  });
  return createWebViewHandler(app);
}

let built: ReturnType<typeof buildDefault> | undefined;
/** Built on the first invocation (once per container), so importing the module for tests reads no config. */
export const handler = (event: APIGatewayProxyEventV2, context: Context) => {
  built ??= buildDefault();
  return built(event, context);
};
