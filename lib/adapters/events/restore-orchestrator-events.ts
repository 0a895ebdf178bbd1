/**
 * What the restore orchestrator function receives, parsed at the boundary: start and resume requests (from the CLI
 * through Lambda invoke, or any automation). Anything else is `invalid` with the reason: a permanent problem, logged
 * and never retried. SSM status-change events and the watchdog's schedule are the job tracker's; one reaching the
 * orchestrator is refused as invalid, so a rule pointed at the wrong function shows in its log.
 */
import * as z from 'zod';
import { InvalidInputError } from '../../domain/errors.ts';
import type { RestoreHostTarget } from '../../domain/restore/restore-job.ts';
import type { RestoreOrchestratorInput, StartRestoreMessage } from '../../domain/restore/restore-orchestrator-input.ts';
import { parseRestoreTarget } from '../../domain/restore/restore-target.ts';

export type { RestoreOrchestratorInput, StartRestoreMessage };

const startSchema = z.strictObject({
  action: z.literal('start-restore'),
  cluster: z.string().min(1),
  to: z.string().optional(),
  lsn: z.string().optional(),
  name: z.string().optional(),
  xid: z.string().optional(),
  instanceId: z.string().min(1).optional(),
  hostTag: z.strictObject({ key: z.string().min(1), value: z.string().min(1) }).optional(),
  inPlace: z.boolean().default(false),
  pause: z.boolean().default(false),
  checkSql: z.string().min(1).optional(),
  pgData: z.string().min(1).optional(),
  // Server settings of the restored copy, as `restore start --setting name=value` gives them.
  settings: z.record(z.string().min(1), z.union([z.string(), z.number()]).transform(String)).optional(),
  resumeArchiving: z.boolean().default(false),
});

const resumeSchema = z.strictObject({
  action: z.literal('resume-restore'),
  cluster: z.string().min(1),
  jobId: z.string().min(1),
});

/**
 * Classifies and parses one invocation payload.
 *
 * @example parseRestoreOrchestratorInput({ action: 'resume-restore', cluster, jobId }) // { kind: 'resume', ... }
 */
export function parseRestoreOrchestratorInput(event: unknown): RestoreOrchestratorInput {
  const record = (typeof event === 'object' && event !== null ? event : {}) as Record<string, unknown>;
  const detailType = record['detail-type'];
  try {
    if (record.action === 'resume-restore') {
      const resume = resumeSchema.parse(event);
      return { kind: 'resume', cluster: resume.cluster, jobId: resume.jobId };
    }
    if (record.action === 'start-restore') return { kind: 'start', request: startMessage(startSchema.parse(event)) };
  } catch (error) {
    const reason =
      error instanceof z.ZodError
        ? error.issues.map((issue) => `${issue.path.join('.') || 'request'}: ${issue.message}`).join('; ')
        : (error as Error).message;
    return { kind: 'invalid', reason };
  }
  return {
    kind: 'invalid',
    reason:
      detailType === undefined
        ? `not a start-restore or resume-restore request (action ${JSON.stringify(record.action)}); send {"action": "start-restore", ...} or {"action": "resume-restore", "cluster", "jobId"}`
        : `a ${JSON.stringify(detailType)} event is the job tracker's, not the restore orchestrator's: point its EventBridge rule at the job-tracker function; the orchestrator takes only start-restore and resume-restore requests`,
  };
}

function startMessage(parsed: z.infer<typeof startSchema>): StartRestoreMessage {
  if (parsed.instanceId !== undefined && parsed.hostTag !== undefined) {
    throw new InvalidInputError('give either instanceId or hostTag, not both');
  }
  const host: RestoreHostTarget | undefined =
    parsed.instanceId !== undefined
      ? { kind: 'instance', instanceId: parsed.instanceId }
      : parsed.hostTag !== undefined
        ? { kind: 'tag', tagKey: parsed.hostTag.key, tagValue: parsed.hostTag.value }
        : undefined;
  return {
    cluster: parsed.cluster,
    target: parseRestoreTarget({
      ...(parsed.to === undefined ? {} : { to: parsed.to }),
      ...(parsed.lsn === undefined ? {} : { lsn: parsed.lsn }),
      ...(parsed.name === undefined ? {} : { name: parsed.name }),
      ...(parsed.xid === undefined ? {} : { xid: parsed.xid }),
    }),
    inPlace: parsed.inPlace,
    action: parsed.pause ? 'pause' : 'promote',
    ...(host ? { host } : {}),
    ...(parsed.checkSql === undefined ? {} : { checkSql: parsed.checkSql }),
    ...(parsed.pgData === undefined ? {} : { pgData: parsed.pgData }),
    ...(parsed.settings === undefined ? {} : { settings: parsed.settings }),
    ...(parsed.resumeArchiving ? { resumeArchiving: true } : {}),
  };
}
