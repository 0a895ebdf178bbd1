/**
 * Fault injection for the real AWS SDK clients talking to the emulators (s3rver, dynalite) or to mocks: middleware
 * added to a client's own stack makes requests fail the way AWS fails them, at a seeded rate.
 *
 * - Errors (`throttling`, `provisioned-throughput`, `slow-down`, `timeout`) are thrown inside the SDK's retry loop
 *   (right after `retryMiddleware`), so the SDK retries them as it would a real answer, and only what survives its
 *   attempts reaches walcat.
 * - `response-lost` lets the request take effect and then fails it with a timeout: the retry (or walcat's own
 *   redelivery) repeats a request that already happened, which is what idempotence must survive.
 * - `unprocessed` holds back part of a BatchWriteItem / BatchGetItem and returns it as `UnprocessedItems` /
 *   `UnprocessedKeys`; `delete-key-slowdown` answers part of a DeleteObjects with per-key `SlowDown` errors. Both act
 *   before the request is serialized, so the held-back part is never sent.
 *
 * Decisions are a pure function of (seed, fault kind, command, request content, how often that same request was seen),
 * so a run is reproducible: the same requests get the same faults whatever the timing. `stop()` ends the fault;
 * convergence is what happens after it.
 *
 * @example
 * const faults = new FaultInjector(7);
 * attachFaults(ddb.client, faults);
 * faults.set([{ kind: 'throttling', rate: 0.3 }]);
 * ... run the use case ...
 * faults.stop();
 */
import type { MetadataBearer } from '@smithy/types';

export type FaultKind =
  | 'throttling'
  | 'provisioned-throughput'
  | 'unprocessed'
  | 'slow-down'
  | 'timeout'
  | 'response-lost'
  | 'delete-key-slowdown';

export interface FaultRule {
  readonly kind: FaultKind;
  /** Probability in [0, 1] per request (per item for `unprocessed` and `delete-key-slowdown`). */
  readonly rate: number;
  /** SDK command names (`BatchWriteItemCommand`); all commands when absent. */
  readonly commands?: readonly string[];
}

/** FNV-1a over the text, then a final avalanche: a uniform-enough number in [0, 1). */
function unitHash(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/** Stable text of a command input; bodies are reduced to their length so large uploads stay cheap to hash. */
function fingerprint(input: unknown): string {
  return JSON.stringify(input, (_key, value: unknown) => {
    if (typeof value === 'bigint') return `${value}n`;
    if (value instanceof Uint8Array) return `<bytes ${value.length}>`;
    if (typeof value === 'string' && value.length > 512) return `<text ${value.length} ${value.slice(0, 64)}>`;
    if (value instanceof Set) return [...value];
    return value;
  });
}

type InjectedError = Error & MetadataBearer & { $fault: 'client' | 'server'; $retryable?: { throttling: boolean } };

function awsError(name: string, status: number | undefined, fault: 'client' | 'server', message: string) {
  const error = new Error(`${message} (injected fault)`) as InjectedError;
  error.name = name;
  error.$fault = fault;
  error.$metadata = status === undefined ? {} : { httpStatusCode: status };
  return error;
}

const ERRORS: Partial<Record<FaultKind, () => InjectedError>> = {
  throttling: () => awsError('ThrottlingException', 400, 'client', 'Rate of requests exceeds the allowed throughput'),
  'provisioned-throughput': () =>
    awsError(
      'ProvisionedThroughputExceededException',
      400,
      'client',
      'The level of configured provisioned throughput for the table was exceeded',
    ),
  'slow-down': () => awsError('SlowDown', 503, 'server', 'Please reduce your request rate'),
  timeout: () => awsError('TimeoutError', undefined, 'client', 'Connection timed out after 2000 ms'),
  'response-lost': () => awsError('TimeoutError', undefined, 'client', 'Socket timed out after the request was sent'),
};

/** Counts per fault kind, and requests seen. */
export interface FaultCounts {
  requests: number;
  injected: Record<string, number>;
}

export class FaultInjector {
  readonly #seed: number;
  #rules: readonly FaultRule[] = [];
  readonly #seen = new Map<string, number>();
  readonly counts: FaultCounts = { requests: 0, injected: {} };

  constructor(seed: number) {
    this.#seed = seed;
  }

  /** Replaces the active rules (the fault starts). */
  set(rules: readonly FaultRule[]): void {
    this.#rules = rules;
  }

  /** The fault stops: every later request goes through untouched. */
  stop(): void {
    this.#rules = [];
  }

  get active(): boolean {
    return this.#rules.length > 0;
  }

  get injectedTotal(): number {
    return Object.values(this.counts.injected).reduce((sum, n) => sum + n, 0);
  }

  #count(kind: FaultKind, n = 1): void {
    this.counts.injected[kind] = (this.counts.injected[kind] ?? 0) + n;
  }

  #rulesFor(command: string, kinds: readonly FaultKind[]): FaultRule[] {
    return this.#rules.filter(
      (rule) => kinds.includes(rule.kind) && (rule.commands === undefined || rule.commands.includes(command)),
    );
  }

  /** A deterministic draw for this request: the nth time the same content is seen gives the nth draw. */
  #draw(kind: FaultKind, command: string, content: string): number {
    const id = `${kind}|${command}|${content}`;
    const occurrence = (this.#seen.get(id) ?? 0) + 1;
    this.#seen.set(id, occurrence);
    return unitHash(`${this.#seed}|${id}|${occurrence}`);
  }

  /** The error to throw for this attempt, if any, and whether the request must be sent first. */
  decideError(command: string, input: unknown): { error: InjectedError; afterSending: boolean } | undefined {
    this.counts.requests++;
    const rules = this.#rulesFor(command, [
      'throttling',
      'provisioned-throughput',
      'slow-down',
      'timeout',
      'response-lost',
    ]);
    if (rules.length === 0) return undefined;
    const content = fingerprint(input);
    for (const rule of rules) {
      if (this.#draw(rule.kind, command, content) < rule.rate) {
        this.#count(rule.kind);
        const make = ERRORS[rule.kind] as () => InjectedError;
        return { error: make(), afterSending: rule.kind === 'response-lost' };
      }
    }
    return undefined;
  }

  /** Which of the items are held back (unprocessed, or refused with a per-key error). */
  holdBack(kind: 'unprocessed' | 'delete-key-slowdown', command: string, items: readonly unknown[]): boolean[] {
    const rule = this.#rulesFor(command, [kind])[0];
    if (rule === undefined) return items.map(() => false);
    const held = items.map((item) => this.#draw(kind, command, fingerprint(item)) < rule.rate);
    this.#count(kind, held.filter(Boolean).length);
    return held;
  }
}

/** Retries as the SDK's standard mode does (3 attempts, retryable errors only) but with millisecond delays. */
export function quickRetryStrategy(maxAttempts = 3) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 1 + count });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (previous: { getRetryCount(): number }, info: { errorType: string }) => {
      if (info.errorType === 'CLIENT_ERROR' || previous.getRetryCount() + 1 >= maxAttempts) {
        throw new Error('no retry left');
      }
      return token(previous.getRetryCount() + 1);
    },
    recordSuccess: () => undefined,
  };
}

type Handler = (args: { input: Record<string, unknown>; request?: unknown }) => Promise<{
  output: Record<string, unknown> & MetadataBearer;
  response: unknown;
}>;
interface StackClient {
  readonly middlewareStack: {
    add(middleware: unknown, options: Record<string, unknown>): void;
    addRelativeTo(middleware: unknown, options: Record<string, unknown>): void;
  };
  readonly config: object;
}

const tableOf = (requestItems: unknown): [string, unknown] | undefined =>
  Object.entries((requestItems ?? {}) as Record<string, unknown>)[0];

/**
 * Adds the injector's middleware to the client. With `quickRetry` (default) the client's retry strategy keeps the
 * SDK's attempt count but waits milliseconds instead of up to seconds, so suites under 30% faults stay fast.
 */
export function attachFaults(
  sdkClient: { readonly middlewareStack: unknown; readonly config: unknown },
  faults: FaultInjector,
  options: { quickRetry?: boolean } = {},
): void {
  const client = sdkClient as StackClient;
  if (options.quickRetry !== false) {
    const strategy = quickRetryStrategy();
    (client.config as { retryStrategy: () => Promise<unknown> }).retryStrategy = async () => strategy;
  }
  client.middlewareStack.addRelativeTo(
    (next: Handler, context: { commandName?: string }) => async (args: Parameters<Handler>[0]) => {
      const decision = faults.decideError(context.commandName ?? 'unknown', args.input);
      if (decision === undefined) return next(args);
      if (decision.afterSending) await next(args);
      throw decision.error;
    },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'walcatFaultErrors', override: true },
  );
  client.middlewareStack.add(
    (next: Handler, context: { commandName?: string }) => async (args: Parameters<Handler>[0]) =>
      holdBackPartOfBatch(faults, context.commandName ?? 'unknown', next, args),
    { step: 'initialize', priority: 'low', name: 'walcatFaultPartialBatches', override: true },
  );
}

async function holdBackPartOfBatch(
  faults: FaultInjector,
  command: string,
  next: Handler,
  args: Parameters<Handler>[0],
): ReturnType<Handler> {
  const input = args.input;
  if (command === 'BatchWriteItemCommand') {
    const [table, requests] = tableOf(input.RequestItems) ?? [];
    if (table === undefined || !Array.isArray(requests)) return next(args);
    const held = faults.holdBack('unprocessed', command, requests);
    const kept = requests.filter((_, i) => !held[i]);
    const unprocessed = requests.filter((_, i) => held[i]);
    if (unprocessed.length === 0) return next(args);
    const result =
      kept.length === 0
        ? { output: { $metadata: { httpStatusCode: 200 } }, response: {} }
        : await next({ ...args, input: { ...input, RequestItems: { [table]: kept } } });
    return { ...result, output: { ...result.output, UnprocessedItems: { [table]: unprocessed } } };
  }
  if (command === 'BatchGetItemCommand') {
    const [table, request] = tableOf(input.RequestItems) ?? [];
    const keys = (request as { Keys?: unknown[] } | undefined)?.Keys;
    if (table === undefined || !Array.isArray(keys)) return next(args);
    const held = faults.holdBack('unprocessed', command, keys);
    const kept = keys.filter((_, i) => !held[i]);
    const unprocessed = keys.filter((_, i) => held[i]);
    if (unprocessed.length === 0) return next(args);
    const result =
      kept.length === 0
        ? { output: { Responses: { [table]: [] }, $metadata: { httpStatusCode: 200 } }, response: {} }
        : await next({
            ...args,
            input: { ...input, RequestItems: { [table]: { ...(request as object), Keys: kept } } },
          });
    return {
      ...result,
      output: { ...result.output, UnprocessedKeys: { [table]: { ...(request as object), Keys: unprocessed } } },
    };
  }
  if (command === 'DeleteObjectsCommand') {
    const del = input.Delete as { Objects?: { Key?: string }[]; Quiet?: boolean } | undefined;
    const objects = del?.Objects ?? [];
    const held = faults.holdBack('delete-key-slowdown', command, objects);
    const refused = objects.filter((_, i) => held[i]);
    if (refused.length === 0) return next(args);
    const kept = objects.filter((_, i) => !held[i]);
    const result =
      kept.length === 0
        ? { output: { Deleted: [], $metadata: { httpStatusCode: 200 } }, response: {} }
        : await next({ ...args, input: { ...input, Delete: { ...del, Objects: kept } } });
    const errors = refused.map((object) => ({
      Key: object.Key,
      Code: 'SlowDown',
      Message: 'Please reduce your request rate',
    }));
    const previous = (result.output.Errors as unknown[] | undefined) ?? [];
    return { ...result, output: { ...result.output, Errors: [...previous, ...errors] } };
  }
  return next(args);
}

/** Adds a plain middleware at the start of the client's stack (tests use it to make a container stop answering). */
export function addFirstMiddleware(
  sdkClient: { readonly middlewareStack: unknown },
  name: string,
  middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
): void {
  (sdkClient as StackClient).middlewareStack.add(middleware, { step: 'initialize', priority: 'high', name });
}

/**
 * A Lambda timeout for the clients of one simulated container: once armed, the given number of requests still go
 * through and every later one never completes, as when Lambda stops an invocation in the middle. The test races the
 * invocation against `arm()`'s promise and treats the container as gone when it resolves.
 */
export class LambdaTimeout {
  #budget = Number.POSITIVE_INFINITY;
  #fire: () => void = () => undefined;
  fired = 0;

  attach(sdkClient: { readonly middlewareStack: unknown }): void {
    addFirstMiddleware(sdkClient, 'walcatLambdaTimeout', (next) => (args) => {
      if (--this.#budget >= 0) return next(args);
      this.#fire();
      return new Promise<never>(() => undefined);
    });
  }

  arm(requests: number): Promise<'timed-out'> {
    this.#budget = requests;
    return new Promise((resolve) => {
      this.#fire = () => {
        this.fired++;
        this.#fire = () => undefined;
        resolve('timed-out');
      };
    });
  }

  /** The invocation ended in time. */
  disarm(): void {
    this.#budget = Number.POSITIVE_INFINITY;
    this.#fire = () => undefined;
  }

  /** Runs `invocation` with the timeout armed after `requests` (or unarmed when undefined). */
  async run<T>(invocation: () => Promise<T>, requests: number | undefined): Promise<T | 'timed-out'> {
    if (requests === undefined) return invocation();
    const timedOut = this.arm(requests);
    const outcome = await Promise.race([invocation(), timedOut]);
    if (outcome !== 'timed-out') this.disarm();
    return outcome;
  }
}

/** A seeded draw in [0, 1) for the nth event of a scenario (which invocation times out, and where). */
export const seededDraw = (seed: number, n: number): number => unitHash(`${seed}|draw|${n}`);
