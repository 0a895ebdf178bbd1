/**
 * moto's server mode (`moto_server`, on PATH) as a real process for tests that need AWS semantics s3rver lacks:
 * versioning, lifecycle, Object Lock, encryption and notification configurations, S3 -> SQS events, IAM.
 * One server per test file, on a free loopback port; `close()` stops the process and waits for it to exit.
 *
 * @example
 * const moto = await startMoto();
 * await moto.s3.send(new CreateBucketCommand({ Bucket: 'acme-pg-backups' }));
 * await moto.close();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createS3Client } from '../../lib/adapters/aws/aws-clients.ts';
import { freePort } from './free-port.ts';

/** moto accepts any credentials; fixed ones keep the SDK from searching the credential chain. */
export const MOTO_CREDENTIALS = { accessKeyId: 'moto', secretAccessKey: 'moto' } as const;
export const MOTO_REGION = 'us-east-1';
/** The account id moto gives every resource (queue ARNs, bucket owners). */
export const MOTO_ACCOUNT = '123456789012';

export interface MotoHandle {
  /** `http://127.0.0.1:<port>`: one endpoint for every service (`AWS_ENDPOINT_URL`). */
  readonly endpoint: string;
  readonly port: number;
  /** Built by the product's own factory: path-style, checksums only when required. */
  readonly s3: S3Client;
  readonly sqs: SQSClient;
  /** The ARN moto gives a queue of this name. */
  queueArn(name: string): string;
  /** Stops the server (SIGTERM, then SIGKILL if it does not exit) and destroys the clients. */
  close(): Promise<void>;
}

export interface StartMotoOptions {
  /** Extra environment for the server, e.g. `{ INITIAL_NO_AUTH_ACTION_COUNT: '6' }` to enforce IAM after 6 calls. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * The command (and its first arguments) that serves moto, given `-H host -p port` after them; default
   * `moto_server`. The ingest benchmark runs moto through a script of its own (bench/support).
   */
  readonly command?: readonly [string, ...string[]];
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited(child);
  clearTimeout(killer);
}

async function waitUntilServing(endpoint: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${output()}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`moto_server did not answer on ${endpoint} within 30 s: ${output()}`);
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoHandle> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const [command, ...leading] = options.command ?? ['moto_server'];
  const child = spawn(command, [...leading, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const keep = (chunk: Buffer): void => {
    log = (log + chunk.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const spawnFailed = new Promise<never>((_, reject) =>
    child.once('error', (error) => reject(new Error(`cannot start moto_server (is it on PATH?): ${error.message}`))),
  );
  try {
    await Promise.race([waitUntilServing(endpoint, child, () => log), spawnFailed]);
  } catch (error) {
    await stop(child);
    throw error;
  }
  const s3 = createS3Client({ region: MOTO_REGION, s3: endpoint, credentials: MOTO_CREDENTIALS });
  const sqs = new SQSClient({ region: MOTO_REGION, endpoint, credentials: MOTO_CREDENTIALS });
  return {
    endpoint,
    port,
    s3,
    sqs,
    queueArn: (name) => `arn:aws:sqs:${MOTO_REGION}:${MOTO_ACCOUNT}:${name}`,
    async close() {
      s3.destroy();
      sqs.destroy();
      await stop(child);
    },
  };
}
