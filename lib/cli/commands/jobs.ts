import { type Job, jobDurationSeconds } from '../../domain/jobs/job.ts';
import type { JobStore } from '../../ports/job-store.ts';
import { type CliCommand, type CliContext, EXIT_OK, EXIT_USAGE } from '../cli-command.ts';

export interface JobsCommandDependencies {
  readonly jobs: () => JobStore;
}

/** One row of `walcat jobs --json`. */
export interface JobRow {
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
  return {
    cluster: job.cluster,
    id: job.id,
    type: job.type,
    state: job.state,
    host: job.host ?? null,
    createdAt: job.createdAt.toISOString(),
    startedAt: job.startedAt?.toISOString() ?? null,
    finishedAt: job.finishedAt?.toISOString() ?? null,
    durationSeconds: jobDurationSeconds(job, now),
    outcome: job.outcome ?? null,
    commandId: job.commandId ?? null,
  };
}

function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

function table(rows: readonly JobRow[]): string {
  const header = ['CLUSTER', 'JOB', 'TYPE', 'STATE', 'HOST', 'STARTED', 'DURATION', 'OUTCOME'];
  const cells = rows.map((row) => [
    row.cluster,
    row.id,
    row.type,
    row.state,
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
 * `walcat jobs [--cluster ID] [--limit N] [--json]`: host-command jobs (backup-push, archiver probe), newest first,
 * with state, host, duration and outcome. `--json` prints an array of {@link JobRow}.
 */
export function jobsCommand(deps: JobsCommandDependencies): CliCommand {
  return {
    name: 'jobs',
    summary: 'host jobs (backup-push, archiver probe): state, host, duration, outcome',
    usage: 'walcat jobs [--cluster ID] [--limit N] [--json]',
    options: { limit: { type: 'string' } },
    async run(context: CliContext): Promise<number> {
      const limitText = context.options.limit;
      const limit = typeof limitText === 'string' ? Number(limitText) : 20;
      if (!Number.isSafeInteger(limit) || limit < 1) {
        context.stderr(`--limit ${String(limitText)}: give a positive whole number`);
        return EXIT_USAGE;
      }
      const store = deps.jobs();
      const lists = await Promise.all(context.clusters.map((cluster) => store.list(cluster.id, { limit })));
      const rows = lists
        .flat()
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .map((job) => jobRow(job, context.now));
      if (context.json) context.stdout(JSON.stringify(rows));
      else context.stdout(rows.length === 0 ? 'no jobs' : table(rows));
      return EXIT_OK;
    },
  };
}
