/**
 * A small writer so WAL flows: one row a second into `walcat_demo.events` of the local PostgreSQL. With
 * archive_timeout 10 s that closes a WAL segment about every 10 s, so the WAL head moves and the window grows.
 */
import pg from 'pg';

export interface DemoWorkload {
  /** Rows inserted since start. */
  readonly rows: () => number;
  stop(): Promise<void>;
}

export async function startDemoWorkload(options: {
  readonly socketDir: string;
  readonly port: number;
  readonly everyMs?: number;
  readonly print: (line: string) => void;
}): Promise<DemoWorkload> {
  const client = new pg.Client({ host: options.socketDir, port: options.port, user: 'postgres', database: 'postgres' });
  await client.connect();
  await client.query(
    'create schema if not exists walcat_demo; create table if not exists walcat_demo.events (id bigserial primary key, at timestamptz not null default now(), note text not null)',
  );
  let rows = 0;
  let stopped = false;
  let warned = false;
  let inFlight: Promise<unknown> = Promise.resolve();
  // A client error (the server going away) would otherwise be an unhandled 'error' event.
  client.on('error', () => undefined);
  const timer = setInterval(() => {
    if (stopped) return;
    inFlight = client
      .query('insert into walcat_demo.events (note) values ($1)', [`demo row ${rows + 1}`])
      .then(() => {
        rows++;
      })
      .catch((error: Error) => {
        if (!stopped && !warned) {
          warned = true;
          options.print(`[workload] insert failed (${error.message}); the demo writer keeps trying`);
        }
      });
  }, options.everyMs ?? 1000);
  return {
    rows: () => rows,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await inFlight;
      await client.end().catch(() => undefined);
    },
  };
}
