/**
 * How long a finished job (host command, restore or drill) stays in the job history before DynamoDB's TTL removes
 * it (config `jobHistory`). Active jobs never expire; the clock starts when a job ends.
 */

const DAY_MS = 86_400_000;
/** Job history kept by default: a quarter of backups and drills to look back on. */
export const DEFAULT_JOB_HISTORY_MS = 90 * DAY_MS;
/**
 * The shortest history accepted. A job's lookups (by command, by job id) expire a fixed time after the job was
 * created, so the history must outlast any job's run: SSM runs a command for at most 48 hours.
 */
export const MIN_JOB_HISTORY_MS = 7 * DAY_MS;

/**
 * The TTL (epoch seconds) of a job that ended at `endedAt`.
 *
 * @example jobExpiresAt(new Date('2026-11-21T00:00:00Z'), 90 * 86_400_000) // 1802995200 (2027-02-19T00:00:00Z)
 */
export function jobExpiresAt(endedAt: Date, historyMs: number): number {
  return Math.ceil((endedAt.getTime() + historyMs) / 1000);
}

/**
 * The TTL of a job's lookup items (command index, job id index), fixed when they are written: the job's creation
 * plus the history plus {@link MIN_JOB_HISTORY_MS}, so a lookup outlives the job it points to whenever the job
 * ends within that margin of its creation.
 *
 * @example lookupExpiresAt(new Date('2026-11-21T00:00:00Z'), 90 * 86_400_000) // 1803600000 (2027-02-26T00:00:00Z)
 */
export function lookupExpiresAt(createdAt: Date, historyMs: number): number {
  return jobExpiresAt(createdAt, historyMs + MIN_JOB_HISTORY_MS);
}
