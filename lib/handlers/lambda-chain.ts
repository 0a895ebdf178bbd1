/**
 * The one instrumentation chain every handler runs in (deployed, on the local stack and in tests alike):
 * Powertools' `injectLambdaContext` (request id and cold start on every line, keys appended during an invocation
 * reset after it), one error logger, and middy's early timeout, whose abort signal reaches the handler body so a long
 * use case stops in time instead of checking the remaining time itself.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';

export interface HandlerOptions {
  /** How long before Lambda's timeout the signal aborts (default 5 s). */
  readonly timeoutEarlyInMillis?: number;
  /** Further middlewares after the shared ones (catalog-ingest and -sync publish their metrics with `logMetrics`). */
  readonly use?: readonly MiddlewareObj[];
}

export type HandlerBody<E, R> = (event: E, context: Context, signals: { readonly signal: AbortSignal }) => Promise<R>;

/** The logger of a deployed function, named after it (`walcat-<name>`). */
export function functionLogger(name: string): Logger {
  return new Logger({ serviceName: `walcat-${name}` });
}

/** Wraps a handler body in the shared chain. */
export function lambdaHandler<E, R>(logger: Logger, body: HandlerBody<E, R>, options: HandlerOptions = {}) {
  const handler = middy(body, { timeoutEarlyInMillis: options.timeoutEarlyInMillis ?? 5_000 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use({
      onError: async (request) => {
        // The one place a failed invocation is logged; the error is rethrown so the platform retries.
        logger.error('invocation failed', { error: request.error as Error });
      },
    });
  for (const middleware of options.use ?? []) handler.use(middleware);
  return handler as unknown as (event: E, context: Context) => Promise<R>;
}
