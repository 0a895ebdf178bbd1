/**
 * Tells "walcat could not reach a service" apart from every other failure, and names the service: a dead endpoint
 * is neither bad news about the backups (exit 1) nor a usage error (exit 2), so scripts get exit 3 and a person
 * gets the service, the address and what to check.
 */

/** Node's codes for a connection that never got an answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

export interface ServiceEndpoints {
  readonly dynamodb?: string;
  readonly s3?: string;
  readonly ssm?: string;
}

/** The running local stack the CLI was pointed at (`--local`), for the message when it is gone. */
export interface LocalStackReference {
  /** The stack's `stack.json`, which also records its pid. */
  readonly infoFile: string;
  readonly pid: number;
  /** Whether a process with that pid still runs. */
  readonly alive: boolean;
}

interface NetworkFailure {
  readonly code: string;
  readonly host?: string;
  readonly port?: number;
}

const SERVICE_NAMES: Readonly<Record<keyof ServiceEndpoints, string>> = { dynamodb: 'DynamoDB', s3: 'S3', ssm: 'SSM' };

/** The first connection failure in an error, its causes or (for dual-stack connects) its aggregated errors. */
function networkFailure(error: unknown, depth = 0): NetworkFailure | undefined {
  if (error === null || typeof error !== 'object' || depth > 5) return undefined;
  const { code, address, hostname, port, cause, errors } = error as Record<string, unknown>;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) {
    const nested = Array.isArray(errors) ? errors.map((e) => networkFailure(e, depth + 1)).find(Boolean) : undefined;
    const host = typeof hostname === 'string' ? hostname : typeof address === 'string' ? address : nested?.host;
    const portNumber = typeof port === 'number' ? port : nested?.port;
    return { code, ...(host === undefined ? {} : { host }), ...(portNumber === undefined ? {} : { port: portNumber }) };
  }
  for (const inner of [cause, ...(Array.isArray(errors) ? errors : [])]) {
    const found = networkFailure(inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

function sameEndpoint(url: string, failure: NetworkFailure): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
  if (failure.port !== undefined && failure.port !== port) return false;
  const host = parsed.hostname;
  return failure.host === undefined || failure.host === host || (LOOPBACK.has(host) && LOOPBACK.has(failure.host));
}

/** Which service an AWS host name belongs to (`dynamodb.eu-west-1.amazonaws.com` is DynamoDB). */
function awsServiceOfHost(host: string | undefined): keyof ServiceEndpoints | undefined {
  if (host === undefined || !host.endsWith('.amazonaws.com')) return undefined;
  if (/(^|\.)dynamodb\./.test(host)) return 'dynamodb';
  if (/(^|\.)ssm\./.test(host)) return 'ssm';
  if (/(^|\.)s3[.-]/.test(host)) return 's3';
  return undefined;
}

/**
 * The message for an error that is a failure to reach a service, naming the service, its address and the fix;
 * undefined for every other error.
 *
 * @example describeUnreachable(refusedOn4567, { dynamodb: 'http://127.0.0.1:4567' })
 *   // 'cannot reach DynamoDB at http://127.0.0.1:4567 (ECONNREFUSED); ...'
 */
export function describeUnreachable(
  error: unknown,
  endpoints: ServiceEndpoints,
  localStack?: LocalStackReference,
): string | undefined {
  const failure = networkFailure(error);
  if (failure === undefined) return undefined;
  const configured = (Object.keys(SERVICE_NAMES) as (keyof ServiceEndpoints)[]).find((service) => {
    const url = endpoints[service];
    return url !== undefined && sameEndpoint(url, failure);
  });
  const service = configured ?? awsServiceOfHost(failure.host);
  const name = service === undefined ? 'a service walcat needs' : SERVICE_NAMES[service];
  const where =
    (configured && endpoints[configured]) ??
    (failure.host === undefined
      ? 'its endpoint'
      : `${failure.host}${failure.port === undefined ? '' : `:${failure.port}`}`);
  const head = `cannot reach ${localStack ? `the local stack's ${name}` : name} at ${where} (${failure.code})`;
  if (localStack) {
    return localStack.alive
      ? `${head}; the local stack (pid ${localStack.pid}, from ${localStack.infoFile}) runs but does not answer: look at its terminal, or restart it with \`npm start\``
      : `${head}; the local stack is not running: pid ${localStack.pid} in ${localStack.infoFile} is gone (a stale file from a stack that stopped); start it with \`npm start\` in another terminal`;
  }
  const variable = service === undefined ? 'AWS_ENDPOINT_URL' : `AWS_ENDPOINT_URL_${service.toUpperCase()}`;
  return configured
    ? `${head}; is the endpoint set by ${variable} (or AWS_ENDPOINT_URL) running? Start it, or unset the variable to use AWS`
    : `${head}; check the network, AWS_REGION and any proxy, or point ${variable} at a reachable endpoint`;
}
