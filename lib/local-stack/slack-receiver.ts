/**
 * Stands in for Slack's incoming webhook: an HTTP server on 127.0.0.1 that accepts the Block Kit payloads walcat
 * posts and prints each readably: the fallback text on the first line, then what the blocks add (facts, the next
 * step, the context line), so the alerts and retention summaries walcat would send are visible in the terminal
 * running the local stack as Slack would show them.
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

/** mrkdwn of a block, for the terminal: `*Label*\nvalue` reads as `Label: value`. */
function readableMrkdwn(text: string): string {
  return readableSlackText(text.replace(/^\*([^*\n]+)\*\n/, '$1: ').replace(/`([^`]*)`/g, '$1'));
}

function textOf(value: unknown): string | undefined {
  const text = (value as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' ? text : undefined;
}

/**
 * What the Block Kit blocks show beyond the fallback text, one line per block: sections (a section repeating the
 * fallback is left out), fields as `Label: value` joined by ` · `, context lines. Headers repeat the fallback.
 *
 * @example readableBlocks([{ type: 'section', text: { type: 'mrkdwn', text: '*Next step*\nrun sync' } }], '') // ['Next step: run sync']
 */
export function readableBlocks(blocks: unknown, fallback: string): string[] {
  if (!Array.isArray(blocks)) return [];
  const lines: string[] = [];
  for (const block of blocks as Record<string, unknown>[]) {
    if (block === null || typeof block !== 'object') continue;
    const own = textOf(block.text);
    if (block.type === 'section' && own !== undefined) {
      const line = readableMrkdwn(own);
      const bare = line.replace(/^:[a-z_]+:\s*/, '');
      if (line !== '' && !fallback.includes(bare)) lines.push(line);
    }
    if (block.type === 'section' && Array.isArray(block.fields)) {
      const fields = (block.fields as unknown[]).map(textOf).filter((text): text is string => text !== undefined);
      if (fields.length > 0) lines.push(fields.map(readableMrkdwn).join(' · '));
    }
    if (block.type === 'context' && Array.isArray(block.elements)) {
      const parts = (block.elements as unknown[]).map(textOf).filter((text): text is string => text !== undefined);
      if (parts.length > 0) lines.push(parts.map(readableMrkdwn).join(' '));
    }
  }
  return lines;
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
        const payload = JSON.parse(body) as { text?: unknown; blocks?: unknown };
        const text = typeof payload.text === 'string' ? readableSlackText(payload.text) : '(a message without text)';
        received.push(text);
        options.print(
          [`[slack] ${text}`, ...readableBlocks(payload.blocks, text).map((line) => `        ${line}`)].join('\n'),
        );
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
