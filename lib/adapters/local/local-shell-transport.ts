/**
 * CommandTransport that runs host scripts on this machine, for the local stack and end-to-end tests. A "local
 * instance" is an instance id, its tags and extra environment (e.g. the PGHOST/PGPORT of the PostgreSQL it stands
 * for). The script is the very text SSM would run, wrapped the same way and started with `/bin/sh` as the SSM agent
 * may; output goes to files (like the agent's), so a daemon a script starts cannot hold a pipe open. Status changes
 * are delivered to subscribers as EventBridge "EC2 Command (Invocation) Status-change Notification" events.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidInputError } from '../../domain/errors.ts';
import { wrapForPosixShell } from '../../domain/host/host-script.ts';
import {
  COMMAND_STATUS_DETAIL_TYPE,
  type CommandStatus,
  INVOCATION_STATUS_DETAIL_TYPE,
  isTerminalStatus,
  type SsmStatusChangeEvent,
} from '../../domain/jobs/command-status.ts';
import type { CommandInvocation, CommandTransport, SendCommandRequest } from '../../ports/command-transport.ts';

export interface LocalInstance {
  readonly instanceId: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Added to the script's environment (PATH is kept from this process unless set here). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface LocalShellTransportOptions {
  readonly instances: readonly LocalInstance[];
  /** Where scripts and their output files live. */
  readonly workDir: string;
  /** Base environment of the scripts (default: this process's environment, passed in by the composition root). */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Clock for event times (default: the system clock). */
  readonly clock?: () => Date;
}

/** SSM keeps 24,000 characters of inline output; so does the local transport (the end, where the result is). */
const INLINE_OUTPUT_CHARS = 24_000;
/**
 * SSM's inline stderr (`StandardErrorContent`) is its first 8,000 characters; so is the local transport's, so what
 * the tracker shows locally is what it shows deployed (the host script carries stderr's end in its result line).
 */
const INLINE_STDERR_CHARS = 8_000;

interface LocalInvocation {
  readonly commandId: string;
  readonly instanceId: string;
  status: CommandStatus;
  exitCode: number;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  startedAt?: Date;
  finishedAt?: Date;
  child?: ChildProcess;
  timer?: NodeJS.Timeout;
}

interface LocalCommand {
  readonly commandId: string;
  readonly requestedAt: Date;
  readonly timeoutSeconds: number;
  readonly script: string;
  status: CommandStatus;
  readonly invocations: LocalInvocation[];
  readonly done: Promise<void>;
  resolveDone: () => void;
}

export type StatusChangeSubscriber = (event: SsmStatusChangeEvent) => void | Promise<void>;

export class LocalShellTransport implements CommandTransport {
  readonly #instances: readonly LocalInstance[];
  readonly #workDir: string;
  readonly #baseEnv: Readonly<Record<string, string | undefined>>;
  readonly #clock: () => Date;
  readonly #commands = new Map<string, LocalCommand>();
  readonly #subscribers = new Set<StatusChangeSubscriber>();
  readonly #deliveries: Promise<unknown>[] = [];

  constructor(options: LocalShellTransportOptions) {
    this.#instances = options.instances;
    this.#workDir = options.workDir;
    this.#baseEnv = options.baseEnv ?? {};
    this.#clock = options.clock ?? (() => new Date());
    mkdirSync(this.#workDir, { recursive: true, mode: 0o700 });
  }

  /** Delivers every status-change event to `subscriber`; returns the unsubscribe function. */
  subscribe(subscriber: StatusChangeSubscriber): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  async send(request: SendCommandRequest): Promise<{ commandId: string }> {
    const targets = this.#resolve(request);
    const commandId = randomUUID();
    const directory = join(this.#workDir, commandId);
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    let resolveDone: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      resolveDone = resolve;
    });
    const command: LocalCommand = {
      commandId,
      requestedAt: this.#clock(),
      timeoutSeconds: request.timeoutSeconds,
      script: wrapForPosixShell(request.script),
      status: 'Pending',
      invocations: targets.map((instance) => ({
        commandId,
        instanceId: instance.instanceId,
        status: 'Pending' as CommandStatus,
        exitCode: -1,
        stdoutFile: join(directory, `${instance.instanceId}.stdout`),
        stderrFile: join(directory, `${instance.instanceId}.stderr`),
      })),
      done,
      resolveDone,
    };
    this.#commands.set(commandId, command);
    const scriptFile = join(directory, '_script.sh');
    writeFileSync(scriptFile, command.script, { mode: 0o700 });
    this.#emitCommand(command);
    for (const invocation of command.invocations) this.#emitInvocation(command, invocation);
    setImmediate(() => this.#start(command, scriptFile, targets));
    return { commandId };
  }

  async getInvocation(commandId: string, instanceId: string): Promise<CommandInvocation | undefined> {
    const invocation = this.#commands.get(commandId)?.invocations.find((item) => item.instanceId === instanceId);
    return invocation ? toInvocation(invocation) : undefined;
  }

  async listInvocations(commandId: string): Promise<readonly CommandInvocation[]> {
    return (this.#commands.get(commandId)?.invocations ?? []).map(toInvocation);
  }

  /** Resolves when the command is terminal and every subscriber has seen its events. */
  async waitFor(commandId: string): Promise<void> {
    const command = this.#commands.get(commandId);
    if (!command) throw new InvalidInputError(`local transport: no command ${commandId}`);
    await command.done;
    await this.settled();
  }

  /** Resolves when every event delivered so far has been handled by the subscribers. */
  async settled(): Promise<void> {
    while (this.#deliveries.length > 0) await Promise.allSettled(this.#deliveries.splice(0));
  }

  /** Kills running scripts and removes the work directory. */
  async close(): Promise<void> {
    for (const command of this.#commands.values()) {
      for (const invocation of command.invocations) {
        if (invocation.child?.pid !== undefined && invocation.child.exitCode === null) {
          killGroup(invocation.child.pid);
        }
        if (invocation.timer) clearTimeout(invocation.timer);
      }
    }
    await this.settled();
    rmSync(this.#workDir, { recursive: true, force: true });
  }

  #resolve(request: SendCommandRequest): LocalInstance[] {
    const { targets } = request;
    if ('instanceIds' in targets) {
      return targets.instanceIds.map((id) => {
        const instance = this.#instances.find((candidate) => candidate.instanceId === id);
        if (!instance) {
          throw new InvalidInputError(
            `local transport: instance ${id} is not one of the local instances; add it to the local stack's hosts`,
          );
        }
        return instance;
      });
    }
    return this.#instances.filter((instance) => instance.tags[targets.tagKey] === targets.tagValue);
  }

  #start(command: LocalCommand, scriptFile: string, targets: readonly LocalInstance[]): void {
    if (command.invocations.length === 0) {
      this.#finishCommand(command);
      return;
    }
    command.status = 'InProgress';
    this.#emitCommand(command);
    command.invocations.forEach((invocation, index) => {
      const instance = targets[index] as LocalInstance;
      const stdout = openSync(invocation.stdoutFile, 'w', 0o600);
      const stderr = openSync(invocation.stderrFile, 'w', 0o600);
      const child = spawn('/bin/sh', [scriptFile], {
        cwd: '/',
        env: { ...this.#baseEnv, ...instance.env } as NodeJS.ProcessEnv,
        stdio: ['ignore', stdout, stderr],
        detached: true,
      });
      closeSync(stdout);
      closeSync(stderr);
      invocation.child = child;
      invocation.status = 'InProgress';
      invocation.startedAt = this.#clock();
      this.#emitInvocation(command, invocation);
      invocation.timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null) {
          invocation.status = 'TimedOut';
          killGroup(child.pid);
        }
      }, command.timeoutSeconds * 1000);
      const finish = (code: number | null) => {
        if (invocation.timer) clearTimeout(invocation.timer);
        if (invocation.finishedAt) return;
        invocation.finishedAt = this.#clock();
        invocation.exitCode = code ?? -1;
        if (invocation.status !== 'TimedOut') invocation.status = code === 0 ? 'Success' : 'Failed';
        this.#emitInvocation(command, invocation);
        if (command.invocations.every((item) => isTerminalStatus(item.status))) this.#finishCommand(command);
      };
      child.once('exit', (code) => finish(code));
      child.once('error', () => finish(-1));
    });
  }

  #finishCommand(command: LocalCommand): void {
    const statuses = command.invocations.map((invocation) => invocation.status);
    command.status = statuses.includes('TimedOut')
      ? 'TimedOut'
      : statuses.every((s) => s === 'Success')
        ? 'Success'
        : 'Failed';
    this.#emitCommand(command);
    command.resolveDone();
  }

  #envelope(resources: string[]): Omit<SsmStatusChangeEvent, 'detail-type' | 'detail'> {
    return {
      version: '0',
      id: randomUUID(),
      source: 'aws.ssm',
      account: '000000000000',
      time: `${this.#clock().toISOString().slice(0, 19)}Z`,
      region: 'local',
      resources,
    };
  }

  #emitCommand(command: LocalCommand): void {
    const expireAfter = new Date(command.requestedAt.getTime() + command.timeoutSeconds * 1000 + 600_000);
    this.#deliver({
      ...this.#envelope(command.invocations.map((i) => instanceArn(i.instanceId))),
      'detail-type': COMMAND_STATUS_DETAIL_TYPE,
      detail: {
        'command-id': command.commandId,
        'document-name': 'AWS-RunShellScript',
        'expire-after': expireAfter.toISOString(),
        parameters: { executionTimeout: [String(command.timeoutSeconds)], commands: [command.script] },
        'requested-date-time': command.requestedAt.toISOString(),
        status: command.status,
      },
    });
  }

  #emitInvocation(command: LocalCommand, invocation: LocalInvocation): void {
    this.#deliver({
      ...this.#envelope([instanceArn(invocation.instanceId)]),
      'detail-type': INVOCATION_STATUS_DETAIL_TYPE,
      detail: {
        'command-id': command.commandId,
        'document-name': 'AWS-RunShellScript',
        'instance-id': invocation.instanceId,
        'requested-date-time': command.requestedAt.toISOString(),
        status: invocation.status,
      },
    });
  }

  #deliver(event: SsmStatusChangeEvent): void {
    for (const subscriber of this.#subscribers) {
      this.#deliveries.push(Promise.resolve().then(() => subscriber(event)));
    }
  }
}

function instanceArn(instanceId: string): string {
  return `arn:aws:ec2:local:000000000000:instance/${instanceId}`;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // The group already exited between the check and the kill.
  }
}

function tail(file: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.length > INLINE_OUTPUT_CHARS ? text.slice(-INLINE_OUTPUT_CHARS) : text;
  } catch {
    return '';
  }
}

function head(file: string, chars: number): string {
  try {
    return readFileSync(file, 'utf8').slice(0, chars);
  } catch {
    return '';
  }
}

function toInvocation(invocation: LocalInvocation): CommandInvocation {
  return {
    commandId: invocation.commandId,
    instanceId: invocation.instanceId,
    status: invocation.status,
    exitCode: invocation.exitCode,
    stdoutTail: tail(invocation.stdoutFile),
    stderrTail: head(invocation.stderrFile, INLINE_STDERR_CHARS),
    ...(invocation.startedAt ? { startedAt: invocation.startedAt } : {}),
    ...(invocation.finishedAt ? { finishedAt: invocation.finishedAt } : {}),
  };
}
