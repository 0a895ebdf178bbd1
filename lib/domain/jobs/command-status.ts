/**
 * SSM Run Command statuses and the EventBridge status-change events that report them. The same shapes come from
 * the SSM service and from the local shell transport, so the job tracker cannot tell them apart.
 */
import { InvalidInputError } from '../errors.ts';

/** Statuses of an SSM command or command invocation (GetCommandInvocation, ListCommandInvocations, events). */
export type CommandStatus =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Success'
  | 'Cancelled'
  | 'Cancelling'
  | 'TimedOut'
  | 'Failed'
  | 'Undeliverable'
  | 'Terminated';

export const COMMAND_STATUSES: readonly CommandStatus[] = [
  'Pending',
  'InProgress',
  'Delayed',
  'Success',
  'Cancelled',
  'Cancelling',
  'TimedOut',
  'Failed',
  'Undeliverable',
  'Terminated',
];

const TERMINAL: ReadonlySet<CommandStatus> = new Set([
  'Success',
  'Cancelled',
  'TimedOut',
  'Failed',
  'Undeliverable',
  'Terminated',
]);

/**
 * True for statuses after which nothing more happens.
 *
 * @example isTerminalStatus('TimedOut') // true
 */
export function isTerminalStatus(status: CommandStatus): boolean {
  return TERMINAL.has(status);
}

/**
 * Progress order of statuses, so a late or duplicate event never moves a command backwards: waiting < running <
 * cancelling < terminal.
 *
 * @example statusRank('Pending') < statusRank('InProgress') // true
 */
export function statusRank(status: CommandStatus): number {
  if (isTerminalStatus(status)) return 3;
  if (status === 'Cancelling') return 2;
  if (status === 'InProgress') return 1;
  return 0;
}

/**
 * SSM's own status strings in events and API answers (`Success`, `TimedOut`, ...); also accepts the detailed
 * statuses (`DeliveryTimedOut`, `ExecutionTimedOut`) mapped to their status.
 *
 * @example parseCommandStatus('ExecutionTimedOut') // 'TimedOut'
 */
export function parseCommandStatus(text: string): CommandStatus {
  if ((COMMAND_STATUSES as readonly string[]).includes(text)) return text as CommandStatus;
  if (text === 'DeliveryTimedOut' || text === 'ExecutionTimedOut') return 'TimedOut';
  throw new InvalidInputError(
    `SSM command status ${JSON.stringify(text)} is not one of ${COMMAND_STATUSES.join(', ')}`,
  );
}

export const COMMAND_STATUS_DETAIL_TYPE = 'EC2 Command Status-change Notification';
export const INVOCATION_STATUS_DETAIL_TYPE = 'EC2 Command Invocation Status-change Notification';

/** EventBridge "EC2 Command Status-change Notification" (source `aws.ssm`): the whole command. */
export interface CommandStatusChangeEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': typeof COMMAND_STATUS_DETAIL_TYPE;
  readonly source: 'aws.ssm';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly 'command-id': string;
    readonly 'document-name': string;
    readonly 'expire-after': string;
    readonly parameters: Readonly<Record<string, readonly string[]>>;
    readonly 'requested-date-time': string;
    readonly status: string;
  };
}

/** EventBridge "EC2 Command Invocation Status-change Notification": the command on one instance. */
export interface CommandInvocationStatusChangeEvent {
  readonly version: string;
  readonly id: string;
  readonly 'detail-type': typeof INVOCATION_STATUS_DETAIL_TYPE;
  readonly source: 'aws.ssm';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: {
    readonly 'command-id': string;
    readonly 'document-name': string;
    readonly 'instance-id': string;
    readonly 'requested-date-time': string;
    readonly status: string;
  };
}

export type SsmStatusChangeEvent = CommandStatusChangeEvent | CommandInvocationStatusChangeEvent;

/** One status report about a command (no instance) or one invocation, from an event or from polling. */
export interface CommandStatusUpdate {
  readonly commandId: string;
  /** Absent for the command as a whole. */
  readonly instanceId?: string;
  readonly status: CommandStatus;
  /** When the status was observed (event time, or when polled). */
  readonly at: Date;
  /** Only from polling (GetCommandInvocation): the script's exit code, -1 when it has none yet. */
  readonly exitCode?: number;
  /** Only from polling: the end of stdout, where the script's result line is. */
  readonly stdoutTail?: string;
  /** Only from polling: the end of stderr. */
  readonly stderrTail?: string;
}

/**
 * Maps an EventBridge SSM status-change event to a {@link CommandStatusUpdate}; throws InvalidInputError naming
 * what is missing. The event's `time` has second precision; `requested-date-time` is not the change time.
 *
 * @example commandStatusUpdateFromEvent(invocationEvent) // { commandId, instanceId: 'i-0a1b...', status: 'Failed', at }
 */
export function commandStatusUpdateFromEvent(event: unknown): CommandStatusUpdate {
  if (typeof event !== 'object' || event === null) throw new InvalidInputError('SSM status event: not an object');
  const record = event as Partial<SsmStatusChangeEvent>;
  const detail = record.detail as Record<string, unknown> | undefined;
  const detailType = record['detail-type'];
  if (detailType !== COMMAND_STATUS_DETAIL_TYPE && detailType !== INVOCATION_STATUS_DETAIL_TYPE) {
    throw new InvalidInputError(
      `SSM status event: detail-type ${JSON.stringify(detailType)} is not a command status change`,
    );
  }
  const commandId = detail?.['command-id'];
  const status = detail?.status;
  if (typeof commandId !== 'string' || commandId === '' || typeof status !== 'string') {
    throw new InvalidInputError('SSM status event: detail.command-id or detail.status is missing');
  }
  const at = new Date(typeof record.time === 'string' ? record.time : Number.NaN);
  if (Number.isNaN(at.getTime())) throw new InvalidInputError(`SSM status event ${commandId}: time is not a time`);
  const base = { commandId, status: parseCommandStatus(status), at };
  if (detailType === COMMAND_STATUS_DETAIL_TYPE) return base;
  const instanceId = detail?.['instance-id'];
  if (typeof instanceId !== 'string' || instanceId === '') {
    throw new InvalidInputError(`SSM invocation status event ${commandId}: detail.instance-id is missing`);
  }
  return { ...base, instanceId };
}
