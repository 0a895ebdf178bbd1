/**
 * Timers standing in for the EventBridge schedules: each job runs every `everyMs` (and at start when asked), never
 * overlapping itself; a failure prints one line and the next tick tries again, as a scheduled Lambda would.
 */

export interface ScheduledJob {
  readonly name: string;
  readonly everyMs: number;
  readonly runAtStart: boolean;
  readonly run: () => Promise<void>;
}

export interface Schedules {
  /** Runs a job now (unless it is already running) and waits for it; returns false when it was skipped. */
  runNow(name: string): Promise<boolean>;
  /** Clears every timer and waits for runs in flight (at most `graceMs`). */
  stop(graceMs?: number): Promise<void>;
}

export function startSchedules(jobs: readonly ScheduledJob[], print: (line: string) => void): Schedules {
  const running = new Map<string, Promise<void>>();
  const timers: NodeJS.Timeout[] = [];
  let stopped = false;
  const byName = new Map(jobs.map((job) => [job.name, job]));

  const runJob = (job: ScheduledJob): Promise<boolean> => {
    if (stopped || running.has(job.name)) return Promise.resolve(false);
    const run = job
      .run()
      .catch((error: unknown) => {
        if (!stopped) print(`[${job.name}] failed: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => running.delete(job.name));
    running.set(job.name, run);
    return run.then(() => true);
  };

  for (const job of jobs) {
    if (job.runAtStart) void runJob(job);
    timers.push(setInterval(() => void runJob(job), job.everyMs));
  }
  return {
    async runNow(name) {
      const job = byName.get(name);
      if (!job) throw new Error(`no scheduled job named ${name}`);
      const inFlight = running.get(name);
      if (inFlight) await inFlight;
      return runJob(job);
    },
    async stop(graceMs = 30_000) {
      stopped = true;
      for (const timer of timers) clearInterval(timer);
      let timeout: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...running.values()]),
        new Promise((resolve) => {
          timeout = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timeout);
    },
  };
}
