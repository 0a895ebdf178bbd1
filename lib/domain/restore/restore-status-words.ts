/**
 * The words walcat prints for a restore or drill and its steps (`restore status`, `drill`, `status --json`
 * `lastDrill`): the job's own states in the restore commands' long-standing vocabulary.
 */
import type { JobState, JobStep } from '../jobs/job.ts';

/** A restore's status in what walcat prints (`restore status`, `status --json` `lastDrill`): `succeeded`, not `success`. */
export type RestoreStatusWord = 'running' | 'failed' | 'succeeded';
/** A restore step's status as printed: a step sent and not yet running is `dispatched`. */
export type RestoreStepStatusWord = 'pending' | 'dispatched' | 'running' | 'succeeded' | 'failed';

/**
 * The printed status of a restore or drill job (its state is only ever running, failed or success).
 *
 * @example restoreStatusWord('success') === 'succeeded'
 */
export function restoreStatusWord(state: JobState): RestoreStatusWord {
  return state === 'success' ? 'succeeded' : state === 'running' ? 'running' : 'failed';
}

/**
 * The printed status of a restore step.
 *
 * @example restoreStepStatusWord('queued') === 'dispatched'
 */
export function restoreStepStatusWord(state: JobStep['state']): RestoreStepStatusWord {
  switch (state) {
    case 'pending':
      return 'pending';
    case 'queued':
      return 'dispatched';
    case 'running':
      return 'running';
    case 'success':
      return 'succeeded';
    default:
      return 'failed';
  }
}
