/**
 * Runs restore step scripts with bash on this machine, the way SSM runs them on a host, and reports status changes
 * as events (Pending, InProgress, then the final status). Stand-in until the shared local shell transport lands.
 */
import { spawn } from 'node:child_process';
import type { CommandStatus, CommandStatusUpdate } from '../../lib/domain/jobs/command-status.ts';
import type {
  RestoreCommandRequest,
  RestoreCommandTransport,
  RestoreInvocation,
} from '../../lib/use-cases/restore-command-transport.ts';

export class LocalRestoreTransport implements RestoreCommandTransport {
  readonly #invocations = new Map<string, RestoreInvocation>();
  readonly #events: CommandStatusUpdate[] = [];
  readonly #waiters: ((event: CommandStatusUpdate) => void)[] = [];
  #sequence = 0;

  /** Every tag names this machine. */
  async instancesWithTag(): Promise<readonly string[]> {
    return ['local-host'];
  }

  async send(request: RestoreCommandRequest): Promise<{ commandId: string; instanceId?: string }> {
    const commandId = `local-${++this.#sequence}`;
    const instanceId = request.target.kind === 'instance' ? request.target.instanceId : 'local-host';
    this.#update(commandId, instanceId, 'Pending', '', '');
    // Like SSM, the command runs after SendCommand has returned.
    setImmediate(() => this.#run(commandId, instanceId, request));
    return { commandId, instanceId };
  }

  async getInvocation(commandId: string): Promise<RestoreInvocation | undefined> {
    return this.#invocations.get(commandId);
  }

  /** The next status-change event, oldest first. */
  nextEvent(timeoutMs: number): Promise<CommandStatusUpdate> {
    const queued = this.#events.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no command status event within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.push((event) => {
        clearTimeout(timer);
        resolve(event);
      });
    });
  }

  #run(commandId: string, instanceId: string, request: RestoreCommandRequest): void {
    const child = spawn('/bin/bash', ['-c', request.script], { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    this.#update(commandId, instanceId, 'InProgress', '', '');
    const timer = setTimeout(() => child.kill('SIGKILL'), request.timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const status: CommandStatus = signal ? 'TimedOut' : code === 0 ? 'Success' : 'Failed';
      this.#update(
        commandId,
        instanceId,
        status,
        Buffer.concat(stdout).toString('utf8'),
        Buffer.concat(stderr).toString('utf8'),
      );
    });
  }

  #update(commandId: string, instanceId: string, status: CommandStatus, stdout: string, stderr: string): void {
    const at = new Date();
    this.#invocations.set(commandId, { status, stdout, stderr, instanceId, at });
    // Events carry no output, as SSM's EventBridge status-change events do.
    const event: CommandStatusUpdate = { commandId, instanceId, status, at };
    const waiter = this.#waiters.shift();
    if (waiter) waiter(event);
    else this.#events.push(event);
  }
}
