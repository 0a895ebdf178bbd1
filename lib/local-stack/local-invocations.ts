/**
 * How the local stack invokes its functions (lib/local-stack/local-functions.ts) the way Lambda would: a context
 * per invocation, scheduled rows on timers, and web requests turned into HTTP API events for the web view handler.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { FunctionName } from '../deploy/serverless-model.ts';
import type { WebRequest, WebResponse } from '../web-view/web-view-app.ts';
import { type LocalFunction, webViewEventTemplate } from './local-functions.ts';
import type { ScheduledJob } from './scheduled-runs.ts';

/** What Lambda hands a handler besides the event; there is no timeout locally, so no remaining time either. */
export function localContext(name: FunctionName): Context {
  return {
    functionName: `walcat-local-${name}`,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:walcat-local-${name}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/walcat-local-${name}`,
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: false,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  } as unknown as Context;
}

export function invokeLocal(functions: Record<FunctionName, LocalFunction>, name: FunctionName, event: unknown) {
  return functions[name].handler(event as never, localContext(name));
}

/**
 * Every schedule trigger of every row as a timer job. `after` sees each run's response (the stack prints progress
 * from it, and waits for a dispatched backup so runs do not overlap).
 */
export function scheduledJobs(
  functions: Record<FunctionName, LocalFunction>,
  after: (name: FunctionName, trigger: string, response: unknown) => Promise<void> | void,
): ScheduledJob[] {
  return (Object.entries(functions) as [FunctionName, LocalFunction][]).flatMap(([name, row]) =>
    row.triggers.flatMap((trigger) =>
      trigger.kind === 'schedule'
        ? [
            {
              name: trigger.name,
              everyMs: trigger.everyMs,
              runAtStart: trigger.runAtStart,
              run: async () => after(name, trigger.name, await invokeLocal(functions, name, trigger.event(new Date()))),
            },
          ]
        : [],
    ),
  );
}

/** The web view server's app: each request becomes the HTTP API event API Gateway would send the deployed handler. */
export function webViewThroughHandler(functions: Record<FunctionName, LocalFunction>) {
  const template = webViewEventTemplate() as unknown as APIGatewayProxyEventV2;
  return {
    async handle(request: WebRequest): Promise<WebResponse> {
      const query = Object.fromEntries(
        Object.entries(request.query).filter((entry): entry is [string, string] => entry[1] !== undefined),
      );
      const event: APIGatewayProxyEventV2 = {
        ...template,
        rawPath: request.path,
        rawQueryString: new URLSearchParams(query).toString(),
        queryStringParameters: query,
        requestContext: {
          ...template.requestContext,
          http: { ...template.requestContext.http, method: request.method, path: request.path },
          requestId: randomUUID(),
        },
      };
      const response = (await invokeLocal(functions, 'webView', event)) as APIGatewayProxyStructuredResultV2;
      return {
        statusCode: response.statusCode ?? 200,
        headers: Object.fromEntries(Object.entries(response.headers ?? {}).map(([key, value]) => [key, String(value)])),
        body: String(response.body ?? ''),
      };
    },
  };
}
