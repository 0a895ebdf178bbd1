/**
 * The one middy chain every handler runs in: the body gets an abort signal that fires `timeoutEarlyInMillis` before
 * Lambda's deadline (retention's shouldStop is that signal), a failed invocation is logged once and rethrown so the
 * platform retries, and keys appended during one invocation do not leak into the next.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { lambdaHandler } from '../../lib/handlers/lambda-chain.ts';

function recordingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({ serviceName: 'walcat-test', logLevel: 'DEBUG' });
  // Powertools prints through console; capture what it would print, as parsed JSON lines.
  const print = (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>);
  (logger as unknown as { console: Record<string, (line: string) => void> }).console = {
    info: print,
    warn: print,
    error: print,
    debug: print,
    log: print,
    trace: print,
  };
  return { logger, lines };
}

const context = (remainingMs: number): Context =>
  ({
    functionName: 'walcat-test',
    awsRequestId: 'req-1',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:walcat-test',
    memoryLimitInMB: '128',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context;

describe('the handler chain', () => {
  it('aborts the body signal at the early timeout; a body that stops then answers normally', async () => {
    const { logger, lines } = recordingLogger();
    const handler = lambdaHandler(
      logger,
      (_event: unknown, _context, { signal }) =>
        new Promise<string>((resolve) => {
          signal.addEventListener('abort', () => resolve('stopped; the next run resumes'));
        }),
      { timeoutEarlyInMillis: 60_000 },
    );
    // 60 s left is exactly the stop line: the signal aborts at once.
    expect(await handler({}, context(60_000))).toBe('stopped; the next run resumes');
    expect(lines.filter((line) => line.message === 'invocation failed')).toEqual([]);
  });

  it('fails a body that ignores the signal with a TimeoutError, logged once', async () => {
    const { logger, lines } = recordingLogger();
    let release: () => void = () => undefined;
    const handler = lambdaHandler(
      logger,
      () =>
        new Promise<string>((resolve) => {
          release = () => resolve('too late');
        }),
      { timeoutEarlyInMillis: 60_000 },
    );
    await expect(handler({}, context(60_000))).rejects.toMatchObject({ name: 'TimeoutError' });
    release();
    const failures = lines.filter((line) => line.message === 'invocation failed');
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ level: 'ERROR', function_request_id: 'req-1' });
  });

  it('passes an unaborted signal while time remains, and answers what the body answers', async () => {
    const { logger } = recordingLogger();
    const handler = lambdaHandler(logger, async (event: { n: number }, _context, { signal }) => ({
      n: event.n + 1,
      aborted: signal.aborted,
    }));
    expect(await handler({ n: 1 }, context(900_000))).toEqual({ n: 2, aborted: false });
  });

  it('logs a thrown error once, rethrows it, and resets appended keys between invocations', async () => {
    const { logger, lines } = recordingLogger();
    const handler = lambdaHandler(logger, async (event: { fail: boolean }) => {
      if (event.fail) {
        logger.appendKeys({ cluster: 'orders-main' });
        throw new Error('catalog unreachable');
      }
      logger.info('ran');
      return 'ok';
    });
    await expect(handler({ fail: true }, context(900_000))).rejects.toThrow('catalog unreachable');
    expect(await handler({ fail: false }, context(900_000))).toBe('ok');
    const failed = lines.filter((line) => line.message === 'invocation failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]?.error).toMatchObject({ message: 'catalog unreachable' });
    expect(lines.find((line) => line.message === 'ran')).not.toHaveProperty('cluster');
  });
});
