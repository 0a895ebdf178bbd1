/**
 * The bounded, redacted tail of a host command's output that jobs keep and alerts show. Output is never stored or
 * sent in full (it can be megabytes, and the full text lives in S3 or CloudWatch); what is kept has anything that
 * looks like a credential masked, because WAL-G and psql echo connection strings and environment on errors.
 */

/** Bytes of stderr a job keeps (about 30 lines). */
export const STDERR_TAIL_BYTES = 2048;

const REDACTIONS: readonly [RegExp, string][] = [
  // AWS access key ids and secrets in assignments.
  [/\b(AKIA|ASIA)[0-9A-Z]{16}\b/gu, '[REDACTED-AWS-KEY]'],
  // NAME=value where the name says secret (WALG_..._KEY, PGPASSWORD, AWS_SECRET_ACCESS_KEY, *_TOKEN).
  [/\b([A-Z0-9_]*(PASSWORD|PASSWD|SECRET|TOKEN|_KEY|CREDENTIALS?)[A-Z0-9_]*)\s*[=:]\s*\S+/gu, '$1=[REDACTED]'],
  // password=... in libpq connection strings.
  [/\b(password|passwd|sslpassword)\s*=\s*('[^']*'|\S+)/giu, '$1=[REDACTED]'],
  // user:password@ in URLs.
  [/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/giu, '$1:[REDACTED]@'],
];

/**
 * Masks credentials and keeps the last `maxBytes` bytes (UTF-8, cut at a line start when possible).
 *
 * @example redactedTail('connect failed: password=hunter2\n') // 'connect failed: password=[REDACTED]\n'
 */
export function redactedTail(text: string, maxBytes: number = STDERR_TAIL_BYTES): string {
  let redacted = text;
  for (const [pattern, replacement] of REDACTIONS) redacted = redacted.replace(pattern, replacement);
  const bytes = new TextEncoder().encode(redacted);
  if (bytes.length <= maxBytes) return redacted;
  const tail = new TextDecoder().decode(bytes.slice(bytes.length - maxBytes)).replace(/^\uFFFD+/u, '');
  const newline = tail.indexOf('\n');
  return newline >= 0 && newline < tail.length - 1 ? tail.slice(newline + 1) : tail;
}
