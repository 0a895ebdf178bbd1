/**
 * What the restore orchestrator acts on, once its event has been parsed at the boundary
 * (lib/adapters/events/restore-orchestrator-events.ts): a start or resume request, or an invalid event with the
 * reason. Status events and the watchdog's schedule go to the job tracker, which advances and watches every job.
 */
import type { RestoreHostTarget } from './restore-job.ts';
import type { RestoreTarget } from './restore-target.ts';

export interface StartRestoreMessage {
  readonly cluster: string;
  readonly target: RestoreTarget;
  readonly host?: RestoreHostTarget;
  readonly inPlace: boolean;
  readonly action: 'promote' | 'pause';
  readonly checkSql?: string;
  readonly pgData?: string;
  /** Server settings of the restored copy (`restore start --setting name=value`). */
  readonly settings?: Readonly<Record<string, string>>;
  /** In-place restores that promote: end with archive_mode on and the new timeline archived. */
  readonly resumeArchiving?: boolean;
}

export type RestoreOrchestratorInput =
  | { readonly kind: 'start'; readonly request: StartRestoreMessage }
  | { readonly kind: 'resume'; readonly cluster: string; readonly jobId: string }
  | { readonly kind: 'invalid'; readonly reason: string };
