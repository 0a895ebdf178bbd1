import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackWebhookNotifier } from '../../../lib/adapters/slack/slack-webhook-notifier.ts';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import { NotificationRejectedError } from '../../../lib/domain/continuity/notification-errors.ts';
import { TransientError } from '../../../lib/domain/errors.ts';

const target = { cluster: 'orders-main' as ClusterId, slackWebhookParameter: '/walcat/slack/orders' };
const message = { text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hello' } }] };

describe('SlackWebhookNotifier against a local receiver', () => {
  let server: Server;
  let base: string;
  const bodies: unknown[] = [];

  beforeAll(async () => {
    server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      const path = request.url ?? '';
      if (path.endsWith('/slow')) return; // never answers: the notifier's timeout must fire
      const status = Number(path.split('/').at(-1));
      if (status === 200) bodies.push({ contentType: request.headers['content-type'], body: JSON.parse(body) });
      response.writeHead(status).end(status === 200 ? 'ok' : 'no');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    base = `http://127.0.0.1:${address.port}/services/T1/B1/SECRETTOKEN`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );

  const notifier = (suffix: string, timeoutMs = 10_000) =>
    new SlackWebhookNotifier({ secrets: { get: async () => `${base}/${suffix}` }, timeoutMs });

  it('posts the Block Kit JSON', async () => {
    await notifier('200').send(target, message);
    expect(bodies).toEqual([{ contentType: 'application/json', body: message }]);
  });

  it.each([500, 503, 429])('treats HTTP %i as transient, without the URL in the message', async (status) => {
    const error = await notifier(String(status))
      .send(target, message)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('/walcat/slack/orders');
    expect((error as Error).message).not.toContain('SECRETTOKEN');
  });

  it('treats a timeout as transient', async () => {
    const error = await notifier('slow')
      .send(target, message)
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as Error).message).toContain('timed out');
    expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain('SECRETTOKEN');
  });

  it('treats 404 (revoked webhook) as a rejection to fix', async () => {
    await expect(notifier('404').send(target, message)).rejects.toBeInstanceOf(NotificationRejectedError);
  });
});
