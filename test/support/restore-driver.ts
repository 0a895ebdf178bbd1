/**
 * Drives a restore job to its end as EventBridge would: the local shell transport's status-change events go to the
 * restore orchestrator's use case, one at a time, until the job leaves `running`.
 */

import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import type { Job } from '../../lib/domain/jobs/job.ts';
import { advanceRestore } from '../../lib/use-cases/advance-restore.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import type { EnvironmentPaths, HostTransport, TestEnvironment } from './environment.ts';

const PG_BIN = '/usr/lib/postgresql/15/bin';

/**
 * The cluster's `hosts:` lines: tagged `walcat:cluster=<id>`, the primary's data directory, run as postgres with
 * pg_ctl, the environment's wal-g wrapper and `walgEnvDir`.
 */
export function hostsYaml(paths: EnvironmentPaths, walgEnvDir: string): string[] {
  return [
    '    hosts:',
    '      target: { tagKey: walcat:cluster, tagValue: orders-main }',
    `      pgData: ${paths.primary?.dataDir}`,
    '      osUser: postgres',
    `      service: pg_ctl:${PG_BIN}`,
    `      walgBinary: ${paths.walg}`,
    `      walgEnvDir: ${walgEnvDir}`,
  ];
}

/** What the restore use cases take, over the environment's catalog and cluster, the hosts and a fresh job store. */
export function restoreDepsOn(env: TestEnvironment, host: HostTransport): RestoreDeps {
  return {
    catalog: env.catalog,
    jobs: new InMemoryJobStore(),
    transport: host.transport,
    instances: host.instances,
    clusters: [env.cluster],
    now: () => new Date(),
  };
}

export interface DriveOptions {
  /** Where the job is read back from (and, unless `orchestrator` is given, what advances it). */
  readonly deps: RestoreDeps;
  /** The orchestrator's dependencies when they differ from `deps` (a drill's). */
  readonly orchestrator?: RestoreDeps;
  readonly host: HostTransport;
  /** Give up after this long (the job is then still running). */
  readonly timeoutMs: number;
  /** Deliver every event this many times (EventBridge delivers at least once); default 1. */
  readonly deliveries?: number;
}

export async function driveRestoreToEnd(job: Job, options: DriveOptions): Promise<Job> {
  const { deps, host } = options;
  let current = job;
  const deadline = Date.now() + options.timeoutMs;
  while (current.state === 'running') {
    if (Date.now() > deadline) {
      throw new Error(`restore job ${job.id} still running after ${options.timeoutMs / 1000} s`);
    }
    await host.transport.settled();
    const event = host.events.shift();
    if (!event) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      continue;
    }
    for (let delivery = 0; delivery < (options.deliveries ?? 1); delivery++) {
      await advanceRestore(options.orchestrator ?? deps, event);
    }
    current = (await deps.jobs.getById(job.cluster, job.id)) ?? current;
  }
  return current;
}
