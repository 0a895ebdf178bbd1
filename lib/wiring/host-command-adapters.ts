/**
 * The adapters host-command use cases need (transport, job store): one shape for the backup scheduler, the job
 * tracker and the archiver probe, built once per process by the adapter set (lib/wiring/adapter-set.ts).
 */
import type { CommandTransport } from '../ports/command-transport.ts';
import type { JobStore } from '../ports/job-store.ts';
import type { HostCommandDependencies } from '../use-cases/dispatch-backup.ts';

/**
 * CloudWatch Logs group receiving the full output of host commands (SSM keeps only a truncated copy inline) when
 * `WALCAT_HOST_COMMANDS_LOG_GROUP` names none; the deployed functions get their stage's `/walcat/<stage>/host-commands`.
 */
export const HOST_COMMAND_LOG_GROUP = '/walcat/host-commands';

export interface HostCommandAdapters extends HostCommandDependencies {
  readonly transport: CommandTransport;
  readonly jobs: JobStore;
}
