import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ClusterConfig } from '../domain/cluster.ts';
import { type WebViewStores, webViewDependencies } from '../web-view/recent-jobs.ts';
import { createWebViewApp, type WebRequest, type WebResponse } from '../web-view/web-view-app.ts';
import { lambdaHandler } from './lambda-chain.ts';

type WebViewApp = { handle(request: WebRequest): Promise<WebResponse> };

/** The web view app the handler serves (deployed and on the local stack), failures logged (never shown). */
export function webViewApp(
  clusters: readonly ClusterConfig[],
  stores: WebViewStores,
  logger: Logger,
  options: { readonly refreshSeconds?: number } = {},
) {
  return createWebViewApp({
    clusters,
    deps: webViewDependencies(stores),
    now: () => new Date(),
    ...options,
    onError: (error, request) => logger.error('web view request failed', { path: request.path, error: error as Error }),
  });
}

/**
 * The read-only web view behind an API Gateway HTTP API route with IAM authorization: the same pages and JSON the
 * local stack serves, read from the catalog table.
 */
export function createWebViewHandler(app: WebViewApp, logger: Logger) {
  const body = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const response = await app.handle({
      method: event.requestContext?.http?.method ?? 'GET',
      path: event.rawPath ?? '/',
      query: event.queryStringParameters ?? {},
    });
    return { statusCode: response.statusCode, headers: { ...response.headers }, body: response.body };
  };
  return lambdaHandler(logger, body);
}
