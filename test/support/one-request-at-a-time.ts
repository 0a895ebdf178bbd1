/**
 * An HTTP proxy that forwards requests to a target one at a time, in arrival order.
 *
 * moto's server answers each request on its own thread, and its DynamoDB model takes no lock: two UpdateItems of an
 * absent item can both pass `attribute_not_exists`, and the second one's creation of the item replaces the first
 * one's write. DynamoDB executes each request atomically, and that atomicity is all walcat's conditional writes rely
 * on. In front of moto this proxy restores it, while the writers' requests still interleave freely between
 * requests, which is where a read-merge-write race lives.
 */
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SerialProxy {
  /** `http://127.0.0.1:<port>`, to use in place of the target's endpoint. */
  readonly endpoint: string;
  /** The most requests the target was ever asked at once (1, unless the proxy is broken). */
  readonly maxInFlight: number;
  close(): Promise<void>;
}

export async function startSerialProxy(target: string): Promise<SerialProxy> {
  const upstream = new URL(target);
  let tail: Promise<void> = Promise.resolve();
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((incoming, outgoing) => {
    const body: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => body.push(chunk));
    incoming.on('end', () => {
      const turn = tail.then(
        () =>
          new Promise<void>((done) => {
            inFlight++;
            maxInFlight = Math.max(maxInFlight, inFlight);
            const finish = () => {
              inFlight--;
              done();
            };
            const forwarded = request(
              {
                host: upstream.hostname,
                port: upstream.port,
                method: incoming.method,
                path: incoming.url,
                headers: { ...incoming.headers, host: upstream.host },
              },
              (answer) => {
                outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
                answer.pipe(outgoing);
                answer.on('end', finish);
                answer.on('error', finish);
              },
            );
            forwarded.on('error', (error) => {
              outgoing.writeHead(502).end(String(error));
              finish();
            });
            forwarded.end(Buffer.concat(body));
          }),
      );
      tail = turn;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    get maxInFlight() {
      return maxInFlight;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
