import { join } from 'node:path';
import { InvalidInputError } from '../../domain/errors.ts';
import type { RestoreHostTarget } from '../../domain/restore/restore-job.ts';
import { newRestoreJobId } from '../../domain/restore/restore-job-id.ts';
import { RestoreTargetUnreachableError } from '../../domain/restore/restore-plan.ts';
import { renderRestoreStatus, restoreStatusJson } from '../../domain/restore/restore-report.ts';
import { ThawRequiredError } from '../../domain/restore/restore-thaw.ts';
import { RestoreLockedError } from '../../ports/job-store.ts';
import type { RetrievalTierName } from '../../ports/object-thaw.ts';
import type { RestoreDeps } from '../../use-cases/restore-dependencies.ts';
import { resumeRestore, startRestore } from '../../use-cases/start-restore.ts';
import type { ThawOptions } from '../../use-cases/thaw-restore-objects.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';
import { RESTORE_TARGET_OPTIONS, renderRestorePlan, restoreTargetOf, singleCluster } from './restore-plan.ts';

export interface RestoreStartCommandDependencies {
  /** Catalog, job store, command transport and notifier, built on first use. */
  readonly restore: () => RestoreDeps;
  /** Uniform in [0, 1) for job ids. */
  readonly random?: () => number;
  /**
   * With `--local`: the stack's scratch host (this machine as another instance) and the folder a restore without
   * `--instance`, `--host-tag` or `--in-place` goes to, as `<restoresDir>/<job id>`.
   */
  readonly localScratch?: () => { readonly instanceId: string; readonly restoresDir: string } | undefined;
}

const INSTANCE_ID = /^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17}|[a-z0-9][a-z0-9-]{0,62})$/u;

function hostOf(context: CliContext): RestoreHostTarget | undefined {
  const instance = context.options.instance;
  const tag = context.options['host-tag'];
  const given = [
    typeof instance === 'string' ? '--instance' : undefined,
    typeof tag === 'string' ? '--host-tag' : undefined,
    context.options['in-place'] === true ? '--in-place' : undefined,
  ].filter((option) => option !== undefined);
  if (given.length > 1) {
    throw new InvalidInputError(
      `restore start: ${given.join(' and ')} exclude each other; give one of --instance ID, --host-tag K=V or --in-place`,
    );
  }
  if (typeof instance === 'string') {
    if (!INSTANCE_ID.test(instance)) {
      throw new InvalidInputError(
        `--instance ${JSON.stringify(instance)} is not an instance id (e.g. i-0a1b2c3d4e5f60718)`,
      );
    }
    return { kind: 'instance', instanceId: instance };
  }
  if (typeof tag === 'string') {
    const split = tag.indexOf('=');
    if (split <= 0 || split === tag.length - 1) {
      throw new InvalidInputError(
        `--host-tag ${JSON.stringify(tag)} is not key=value (e.g. walcat:scratch=orders-main)`,
      );
    }
    return { kind: 'tag', tagKey: tag.slice(0, split), tagValue: tag.slice(split + 1) };
  }
  return undefined;
}

/** `--setting name=value`, repeatable: server settings of the restored copy (e.g. port, shared_buffers). */
function settingsOf(context: CliContext): Record<string, string> | undefined {
  const raw = context.options.setting;
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) return undefined;
  const settings: Record<string, string> = {};
  for (const value of values) {
    const text = String(value);
    const split = text.indexOf('=');
    if (split <= 0) {
      throw new InvalidInputError(
        `--setting ${JSON.stringify(text)} is not name=value; e.g. --setting port=5433 --setting shared_buffers=128MB`,
      );
    }
    settings[text.slice(0, split).trim()] = text.slice(split + 1);
  }
  return settings;
}

const THAW_TIERS: readonly RetrievalTierName[] = ['Expedited', 'Standard', 'Bulk'];

/** A positive integer option, or the default; anything else is a usage error naming the option. */
function positiveOption(context: CliContext, name: string, fallback: number): number {
  const raw = context.options[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidInputError(
      `--${name} ${JSON.stringify(String(raw))} is not a positive whole number (e.g. --${name} ${fallback})`,
    );
  }
  return value;
}

/** `--thaw [--thaw-tier T] [--thaw-days N] [--thaw-poll S]`: thaw frozen objects first and wait for them. */
function thawOf(context: CliContext): { thaw?: ThawOptions } {
  const given = ['thaw-tier', 'thaw-days', 'thaw-poll'].filter((name) => context.options[name] !== undefined);
  if (context.options.thaw !== true) {
    if (given.length > 0) {
      throw new InvalidInputError(`restore start: --${given[0]} needs --thaw`);
    }
    return {};
  }
  const rawTier = context.options['thaw-tier'];
  const tier = THAW_TIERS.find((candidate) => candidate.toLowerCase() === String(rawTier ?? 'Standard').toLowerCase());
  if (tier === undefined) {
    throw new InvalidInputError(
      `--thaw-tier ${JSON.stringify(String(rawTier))} is not a retrieval tier; use Expedited, Standard or Bulk`,
    );
  }
  return {
    thaw: {
      tier,
      days: positiveOption(context, 'thaw-days', 3),
      pollSeconds: positiveOption(context, 'thaw-poll', 60),
      onProgress: ({ readable, pending }) =>
        context.stderr(`walcat: thaw: ${readable} readable, ${pending} still frozen`),
    },
  };
}

/**
 * `walcat restore start --cluster C --to TIME (--instance ID | --host-tag K=V | --in-place)`: plans the restore,
 * refuses an unreachable target (exit 1), stores the job and sends its first step; the orchestrator takes it from
 * there on the hosts' status events. `--pause` stops at the target paused instead of promoting; `--check-sql` adds a
 * query whose first value must be true after the restore; `--pg-data` restores into another directory on the host; `--resume-archiving` (in place, promoting) ends
 * with archive_mode on and the new timeline archived; `--setting name=value` (repeatable) sets a server setting
 * of the restored copy (a copy in another directory otherwise gets its own socket folder and a free port).
 * `--resume JOB` re-runs a failed job from its failed step. A plan that reads frozen objects (GLACIER, DEEP_ARCHIVE,
 * Intelligent-Tiering archive tiers) is refused unless `--thaw` is given: then walcat issues RestoreObject for them
 * (`--thaw-tier`, default Standard; copies readable for `--thaw-days`, default 3) and polls every `--thaw-poll`
 * seconds (default 60) until all are readable, before the job starts.
 */
export function restoreStartCommand(deps: RestoreStartCommandDependencies): CliCommand {
  return {
    name: 'restore start',
    summary: 'start a planned restore on a host',
    usage:
      'walcat restore start --cluster ID (--to TIME|latest | --lsn X/Y | --name P | --xid N) (--instance ID | --host-tag K=V | --in-place [--resume-archiving]) [--pause] [--check-sql SQL] [--pg-data DIR] [--setting NAME=VALUE]... [--thaw [--thaw-tier Expedited|Standard|Bulk] [--thaw-days N] [--thaw-poll SECONDS]] [--json]\n       walcat restore start --cluster ID --resume JOB',
    options: {
      ...RESTORE_TARGET_OPTIONS,
      instance: { type: 'string' },
      'host-tag': { type: 'string' },
      'in-place': { type: 'boolean' },
      'resume-archiving': { type: 'boolean' },
      pause: { type: 'boolean' },
      'check-sql': { type: 'string' },
      'pg-data': { type: 'string' },
      setting: { type: 'string', multiple: true },
      resume: { type: 'string' },
      thaw: { type: 'boolean' },
      'thaw-tier': { type: 'string' },
      'thaw-days': { type: 'string' },
      'thaw-poll': { type: 'string' },
    },
    async run(context: CliContext): Promise<number> {
      const cluster = singleCluster(context, 'restore start');
      const resume = context.options.resume;
      if (typeof resume === 'string') {
        const job = await resumeRestore(deps.restore(), cluster, resume);
        context.stdout(context.json ? JSON.stringify(restoreStatusJson(job)) : renderRestoreStatus(job, context.now));
        return EXIT_OK;
      }
      const target = restoreTargetOf(context);
      const checkSql = context.options['check-sql'];
      const pgData = context.options['pg-data'];
      const inPlace = context.options['in-place'] === true;
      const extraSettings = settingsOf(context);
      const random = deps.random ?? Math.random;
      const jobId = newRestoreJobId('restore', context.now, random);
      // On the local stack a restore goes to a scratch copy on this machine unless told otherwise.
      const scratch = inPlace ? undefined : deps.localScratch?.();
      const named = hostOf(context);
      const host: RestoreHostTarget | undefined =
        named ?? (scratch ? { kind: 'instance', instanceId: scratch.instanceId } : undefined);
      const copyDir =
        typeof pgData === 'string' ? pgData : !named && scratch ? join(scratch.restoresDir, jobId) : undefined;
      try {
        const { job, plan, thawed } = await startRestore(deps.restore(), {
          cluster,
          target,
          inPlace,
          ...(context.options['resume-archiving'] === true ? { resumeArchiving: true } : {}),
          action: context.options.pause === true ? 'pause' : 'promote',
          jobId,
          ...(host ? { host } : {}),
          ...(typeof checkSql === 'string' ? { checkSql } : {}),
          ...(copyDir === undefined ? {} : { hostOverrides: { pgData: copyDir } }),
          ...(extraSettings === undefined ? {} : { extraSettings }),
          ...thawOf(context),
        });
        if (thawed !== undefined && !context.json) {
          context.stdout(
            `thawed ${thawed.objects} frozen object${thawed.objects === 1 ? '' : 's'} in ${Math.round(thawed.seconds)} s (${thawed.requested} RestoreObject request${thawed.requested === 1 ? '' : 's'})`,
          );
        }
        if (context.json) {
          context.stdout(
            JSON.stringify({
              ...restoreStatusJson(job),
              ...(thawed === undefined ? {} : { thaw: { objects: thawed.objects, seconds: thawed.seconds } }),
            }),
          );
        } else {
          context.stdout(
            `${renderRestorePlan(plan, cluster)}\n\n${renderRestoreStatus(job, context.now)}follow it with: walcat restore status ${job.id} --cluster ${cluster.id}`,
          );
        }
        return EXIT_OK;
      } catch (error) {
        if (error instanceof RestoreLockedError) {
          context.stderr(`walcat: restore refused: ${error.message}`);
          if (context.json) context.stdout(JSON.stringify({ error: error.message, runningJob: error.holder }));
          return EXIT_BAD_NEWS;
        }
        if (error instanceof ThawRequiredError) {
          context.stderr(`walcat: restore refused: ${error.message}`);
          if (context.json) {
            context.stdout(
              JSON.stringify({
                error: error.message,
                reason: 'needs-thaw',
                thaw: {
                  objects: error.thaw.objects.length,
                  bytes: error.thaw.bytes,
                  storageClasses: error.thaw.storageClasses,
                },
              }),
            );
          }
          return EXIT_BAD_NEWS;
        }
        if (!(error instanceof RestoreTargetUnreachableError)) throw error;
        context.stderr(`walcat: restore refused: ${error.message}`);
        if (context.json) context.stdout(JSON.stringify({ error: error.message, reason: error.reason }));
        return EXIT_BAD_NEWS;
      }
    },
  };
}
