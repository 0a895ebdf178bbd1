/**
 * An HTTP proxy on a free loopback port that forwards every request to `target` unchanged and counts it: put in
 * front of one service's endpoint (e.g. `AWS_ENDPOINT_URL_S3`) it says how many requests a door sent that service,
 * on the wire, whichever client sent them.
 *
 * @example
 * const s3 = await startCountingProxy(moto.endpoint); // AWS_ENDPOINT_URL_S3 = s3.endpoint
 * const before = s3.requests.length; ...; s3.requests.slice(before) // ['GET /acme?lifecycle', ...]
 */
import { createServer, request as httpRequest } from 'node:http';

export interface CountingProxy {
  readonly endpoint: string;
  /** `METHOD path?query` of every request forwarded, in arrival order. */
  readonly requests: string[];
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const requests: string[] = [];
  const server = createServer((incoming, outgoing) => {
    requests.push(`${incoming.method} ${incoming.url}`);
    const forwarded = httpRequest(
      new URL(incoming.url ?? '/', target),
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      outgoing.writeHead(502);
      outgoing.end(`counting proxy: ${target} did not answer: ${error.message}`);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('counting proxy: no loopback address');
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
