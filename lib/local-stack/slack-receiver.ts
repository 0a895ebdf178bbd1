/**
 * Stands in for Slack's incoming webhook: an HTTP server on 127.0.0.1 that accepts the Block Kit payloads walcat
 * posts and prints each as one readable line, so the alerts and retention summaries walcat would send are visible
 * in the terminal running the local stack.
 */
import { createServer, type IncomingMessage } from 'node:http';
import { listenOnLoopback } from './loopback-listener.ts';

export interface SlackReceiver {
  /** The webhook URL the local notifier posts to. */
  readonly url: string;
  /** Every message text received, oldest first. */
  readonly received: readonly string[];
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 256 * 1024;

/** Slack mrkdwn escapes `&`, `<`, `>`; the terminal wants them back, and `<url|label>` links as their label. */
export function readableSlackText(text: string): string {
  return text
    .replace(/<([^>|]+)\|([^>]+)>/g, '$2')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function startSlackReceiver(options: {
  readonly port: number;
  readonly print: (line: string) => void;
}): Promise<SlackReceiver> {
  const received: string[] = [];
  const server = createServer((request, response) => {
    if (request.method !== 'POST') {
      response.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    readBody(request)
      .then((body) => {
        const payload = JSON.parse(body) as { text?: unknown };
        const text = typeof payload.text === 'string' ? readableSlackText(payload.text) : '(a message without text)';
        received.push(text);
        options.print(`[slack] ${text}`);
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      })
      .catch(() => response.writeHead(400, { 'content-type': 'text/plain' }).end('invalid_payload'));
  });
  const { port, close } = await listenOnLoopback(server, options.port);
  return {
    url: `http://127.0.0.1:${port}/services/local-webhook`,
    received,
    close,
  };
}
