/**
 * Per-request latency figures the benchmarks inject or model, and where they come from.
 *
 * - S3: AWS's S3 performance whitepaper ("Timeouts and Retries for Latency-Sensitive Applications",
 *   https://docs.aws.amazon.com/whitepapers/latest/s3-optimizing-performance-best-practices/timeouts-and-retries-for-latency-sensitive-applications.html)
 *   says small requests (under 512 KB) often see median latencies "in the tens of milliseconds". A ListObjectsV2
 *   page of 1,000 keys is a ~250 KB XML response, so 30 ms per request is an assumption at the low end of that
 *   range: it favours the list-based way.
 * - DynamoDB: AWS describes DynamoDB as "single-digit millisecond" latency; 10 ms per request is an assumption at the
 *   top of that range: it disfavours walcat.
 */
export const S3_REQUEST_LATENCY_MS = 30;
export const DYNAMODB_REQUEST_LATENCY_MS = 10;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The same client with `ms` of latency added before every `send` (concurrent sends overlap, as on a network). */
export function withLatency<Client extends { send: (...args: never[]) => Promise<unknown> }>(
  client: Client,
  ms: number,
): Client {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver);
      return async (...args: never[]) => {
        await sleep(ms);
        return target.send(...args);
      };
    },
  });
}
