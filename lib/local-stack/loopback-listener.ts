import type { Server } from 'node:http';

/** A server listening on 127.0.0.1: the port it got (0 asks for a free one) and a close that ends open connections. */
export interface LoopbackListener {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts `server` on 127.0.0.1 (the local stack never listens beyond loopback). Rejects with the listen error, e.g.
 * EADDRINUSE, so the caller can name the port and the fix.
 */
export async function listenOnLoopback(server: Server, port: number): Promise<LoopbackListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: address !== null && typeof address === 'object' ? address.port : port,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
