/** Serves the web view over plain HTTP on 127.0.0.1 (the local stack; in AWS API Gateway calls the handler). */
import { createServer } from 'node:http';
import type { WebRequest, WebResponse } from '../web-view/web-view-app.ts';
import { listenOnLoopback } from './loopback-listener.ts';

export interface WebViewServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function startWebViewServer(options: {
  readonly port: number;
  readonly app: { handle(request: WebRequest): Promise<WebResponse> };
}): Promise<WebViewServer> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    options.app
      .handle({ method: request.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) })
      .then((answer) => {
        response.writeHead(answer.statusCode, answer.headers);
        response.end(request.method === 'HEAD' ? undefined : answer.body);
      })
      .catch(() => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end('internal error');
      });
  });
  const { port, close } = await listenOnLoopback(server, options.port);
  return {
    url: `http://127.0.0.1:${port}/`,
    close,
  };
}
