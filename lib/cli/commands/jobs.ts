import {
  currentCommandId,
  type Job,
  jobDurationSeconds,
  type RestorePayload,
  stepInProgress,
} from '../../domain/jobs/job.ts';
import type { JobStore } from '../../ports/job-store.ts';
import { type CliCommand, type CliContext, EXIT_OK, EXIT_USAGE } from '../cli-command.ts';

export interface JobsCommandDependencies {
  /** Every job of the clusters: host commands, restores and drills. */
  readonly jobs: () => Pick<JobStore, 'list'>;
}

/**
 * One row of `walcat jobs --json`: the contract `{ jobId, cluster, type, status, host, startedAt, finishedAt,
 * durationSeconds, outcome }` for host jobs, restores and drills alike, plus `id`/`state` (the host job's own
 * names, kept for existing scripts; a running restore's state names its step), `createdAt` and `commandId`.
 */
export interface JobRow {
  readonly jobId: string;
  readonly status: string;
  readonly cluster: string;
  readonly id: string;
  readonly type: string;
  readonly state: string;
  readonly host: string | null;
  readonly createdAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly durationSeconds: number;
  readonly outcome: string | null;
  readonly commandId: string | null;
}

export function jobRow(job: Job, now: Date): JobRow {
  const startedAt = job.startedAt ?? job.createdAt;
  const status = job.state === 'success' ? 'succeeded' : job.state;
  const step = job.restore === undefined ? undefined : stepInProgress(job);
  return {
    jobId: job.id,
    status,
    cluster: job.cluster,
    id: job.id,
    type: job.type,
    state: job.restore === undefined ? job.state : job.state === 'running' && step ? `running ${step.name}` : status,
    host: job.host ?? null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt ? notBefore(job.finishedAt, startedAt).toISOString() : null,
    durationSeconds: jobDurationSeconds(job, now),
    outcome: (job.restore === undefined ? job.outcome : restoreOutcome(job.restore)) ?? null,
    commandId: currentCommandId(job) ?? null,
  };
}

/** A restore's line: where it failed, or how the restored copy came up. */
function restoreOutcome({ failure, outcome }: RestorePayload): string | undefined {
  if (failure) return `failed at ${failure.step}`;
  return outcome && `${outcome.inRecovery ? 'paused in recovery' : 'promoted'} on timeline ${outcome.timeline}`;
}

function notBefore(time: Date, floor: Date): Date {
  return time.getTime() < floor.getTime() ? floor : time;
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

function table(rows: readonly JobRow[]): string {
  const header = ['CLUSTER', 'JOB', 'TYPE', 'STATE', 'HOST', 'STARTED', 'DURATION', 'OUTCOME'];
  // STATE shows the contract status (succeeded, failed, running...).
  const cells = rows.map((row) => [
    row.cluster,
    row.id,
    row.type,
    row.status,
    row.host ?? '-',
    (row.startedAt ?? row.createdAt).replace('.000Z', 'Z'),
    formatDuration(row.durationSeconds),
    row.outcome ?? '',
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => (line[column] ?? '').length)),
  );
  return [header, ...cells]
    .map((line) =>
      line.map((cell, column) => (column === line.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '),
    )
    .join('\n');
}

/**
 * `walcat jobs [--cluster ID] [--limit N] [--json]`: host-command jobs (backup-push, archiver probe), restores and
 * drills, newest first, with status, host, duration and outcome. `--json` prints an array of {@link JobRow}.
 */
export function jobsCommand(deps: JobsCommandDependencies): CliCommand {
  return {
    name: 'jobs',
    summary: 'host jobs, restores and drills: status, host, duration, outcome',
    usage: 'walcat jobs [--cluster ID] [--limit N] [--json]',
    options: { limit: { type: 'string' } },
    async run(context: CliContext): Promise<number> {
      const limitText = context.options.limit;
      const limit = typeof limitText === 'string' ? Number(limitText) : 20;
      if (!Number.isSafeInteger(limit) || limit < 1) {
        context.stderr(`walcat: --limit ${String(limitText)}: give a positive whole number`);
        return EXIT_USAGE;
      }
      const store = deps.jobs();
      const lists = await Promise.all(
        context.clusters.map(async (cluster) =>
          (await store.list(cluster.id, { limit })).map((job) => jobRow(job, context.now)),
        ),
      );
      const rows = lists
        .flat()
        .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
        .slice(0, limit * Math.max(1, context.clusters.length));
      if (context.json) context.stdout(JSON.stringify(rows));
      else context.stdout(rows.length === 0 ? 'no jobs' : table(rows));
      return EXIT_OK;
    },
  };
}
