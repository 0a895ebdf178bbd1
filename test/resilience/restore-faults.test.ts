/**
 * A restore driven through the real SsmCommandTransport while SSM throttles SendCommand and GetCommandInvocation and
 * EventBridge loses status-change events, at 10% and 30%. SSM is a stand-in behind aws-sdk-client-mock that runs
 * each command for a minute and then reports Success with the step's result line; events that arrive are handled by
 * advanceRestore (a failed handling is retried twice, as Lambda retries an asynchronous event, then dropped), and the
 * watchdog (reconcileJobs) runs every minute. Once the fault stops the job must finish, having run every step
 * in order and never two commands at once on the host.
 */
import {
  GetCommandInvocationCommand,
  type GetCommandInvocationCommandOutput,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import { SsmCommandTransport } from '../../lib/adapters/ssm/ssm-command-transport.ts';
import type { ClusterConfig, ClusterId, HostSettings } from '../../lib/domain/cluster.ts';
import type { CommandStatusUpdate } from '../../lib/domain/jobs/command-status.ts';
import { createRestoreJob } from '../../lib/domain/restore/restore-job.ts';
import { RESTORE_STEPS } from '../../lib/domain/restore/restore-scripts.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { advanceRestore } from '../../lib/use-cases/advance-restore.ts';
import { reconcileJobs } from '../../lib/use-cases/reconcile-stuck-jobs.ts';
import { dispatchNextStep, type RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import { seededDraw } from '../support/faults.ts';
import { FaultMatrix } from './fault-matrix.ts';

const RATES = [0.1, 0.3] as const;
const cluster = 'orders-main' as ClusterId;
const INSTANCE = 'i-0a1b2c3d4e5f60718';
const T0 = Date.parse('2026-11-20T14:31:00Z');
const MINUTES_UNDER_FAULT = 20;
const MAX_MINUTES = 80;
const matrix = new FaultMatrix('restore');
const ssm = mockClient(SSMClient);

afterAll(() => {
  matrix.write();
  ssm.restore();
});

const hostSettings: HostSettings = {
  target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
  pgData: '/var/lib/postgresql/15/main',
  osUser: 'postgres',
  walgEnvDir: '/etc/wal-g.d/env',
  service: { kind: 'systemd', unit: 'postgresql@15-main' },
  walgBinary: 'wal-g',
};

const verifyData = {
  inRecovery: false,
  timeline: 2,
  lastReplayTimestamp: '2026-11-20T14:29:58.120+00:00',
  serverVersion: 150004,
  archiveMode: 'off',
};

interface HostCommand {
  readonly id: string;
  readonly step: string;
  readonly sentAt: number;
  done: boolean;
}

/** SSM and one host: commands run for a minute, one result line each; faults at a seeded rate while `rate` > 0. */
class SsmStandIn {
  rate = 0;
  readonly commands: HostCommand[] = [];
  readonly events: { update: CommandStatusUpdate; tries: number }[] = [];
  throttled = 0;
  lostEvents = 0;
  requests = 0;
  overlaps = 0;
  #minute = 0;

  constructor(readonly seed: number) {
    ssm.reset();
    ssm.on(SendCommandCommand).callsFake((input: { Comment?: string }) => {
      this.#maybeThrottle();
      if (this.commands.some((command) => !command.done)) this.overlaps++;
      const id = `cmd-${this.commands.length + 1}`;
      const step = (input.Comment ?? '').split(' ').at(-1) ?? '';
      this.commands.push({ id, step, sentAt: this.#minute, done: false });
      return { Command: { CommandId: id } };
    });
    ssm.on(GetCommandInvocationCommand).callsFake((input: { CommandId: string }): GetCommandInvocationCommandOutput => {
      this.#maybeThrottle();
      const command = this.commands.find((candidate) => candidate.id === input.CommandId);
      if (command === undefined) {
        throw Object.assign(new Error('no such invocation'), { name: 'InvocationDoesNotExist' });
      }
      return {
        CommandId: command.id,
        InstanceId: INSTANCE,
        Status: command.done ? 'Success' : 'InProgress',
        ResponseCode: command.done ? 0 : -1,
        StandardOutputContent: command.done ? resultLine(command.step) : '',
        StandardErrorContent: '',
        $metadata: {},
      };
    });
  }

  #maybeThrottle(): void {
    this.requests++;
    if (seededDraw(this.seed, this.requests) < this.rate) {
      this.throttled++;
      throw Object.assign(new Error('Rate exceeded (injected fault)'), {
        name: 'ThrottlingException',
        $metadata: { httpStatusCode: 400 },
      });
    }
  }

  /** A minute passes: commands sent before it finish, and their status-change events are emitted (or lost). */
  tick(minute: number): void {
    this.#minute = minute;
    for (const command of this.commands) {
      if (command.done || command.sentAt >= minute) continue;
      command.done = true;
      if (seededDraw(this.seed + 1, Number(command.id.slice(4))) < this.rate) {
        this.lostEvents++;
        continue;
      }
      this.events.push({
        update: { commandId: command.id, instanceId: INSTANCE, status: 'Success', at: new Date(T0 + minute * 60_000) },
        tries: 0,
      });
    }
  }
}

const resultLine = (step: string): string =>
  `WALCAT_RESULT ${JSON.stringify({ status: 'success', script: 'restore', data: step === 'verify' ? verifyData : null })}\n`;

describe.each(RATES)('a restore over SSM at %s fault rate', (rate) => {
  it('SSM throttling and lost status events: the job finishes once the fault stops, steps in order, never two at once', async () => {
    const stand = new SsmStandIn(Math.round(rate * 1000));
    let minute = 0;
    const jobs = new InMemoryJobStore();
    const deps: RestoreDeps = {
      catalog: {} as CatalogStore,
      jobs,
      transport: new SsmCommandTransport({ client: new SSMClient({ region: 'us-east-1' }) }),
      instances: { instancesWithTag: async () => [INSTANCE] },
      clusters: [],
      now: () => new Date(T0 + minute * 60_000),
    };
    const job = createRestoreJob({
      id: `r-${Math.round(rate * 100)}`,
      cluster,
      type: 'restore',
      now: deps.now(),
      request: {
        target: parseRestoreTarget({ to: '2026-11-20T14:30:00Z' }),
        baseBackup: 'base_000000010000000000000004',
        timeline: 1,
        action: 'promote',
        host: { kind: 'instance', instanceId: INSTANCE },
        inPlace: false,
        hostSettings,
        pgVersion: 150004,
        requiredBytes: 24_000_000,
        recoveryTimeoutSeconds: 3600,
      },
    });
    await jobs.create({ ...job, host: INSTANCE });
    stand.rate = rate;
    let failedHandlings = 0;
    let failedWatchdogRuns = 0;
    // The first dispatch, as startRestore does; a throttled one is left to the watchdog.
    try {
      await dispatchNextStep(deps, (await jobs.getById(cluster, job.id)) ?? job);
    } catch {
      failedHandlings++;
    }
    let finished = false;
    for (minute = 1; minute <= MAX_MINUTES && !finished; minute++) {
      stand.rate = minute <= MINUTES_UNDER_FAULT ? rate : 0;
      stand.tick(minute);
      for (const event of stand.events.splice(0, stand.events.length)) {
        try {
          await advanceRestore(deps, event.update);
        } catch {
          failedHandlings++;
          if (++event.tries <= 2) stand.events.push(event);
        }
      }
      try {
        await reconcileJobs(
          { jobs, transport: deps.transport, clusters: deps.clusters, restore: deps },
          // The watchdog reads the active jobs of the clusters it is given: only the cluster's id is read.
          { clusters: [{ id: cluster } as ClusterConfig], now: deps.now(), restoreQuietMs: 2 * 60_000 },
        );
      } catch {
        failedWatchdogRuns++;
      }
      finished = (await jobs.getById(cluster, job.id))?.state !== 'running';
    }
    const final = await jobs.getById(cluster, job.id);
    expect(final?.state, `job still ${final?.state} after ${MAX_MINUTES} minutes`).toBe('success');
    expect(stand.overlaps).toBe(0);
    const ran = stand.commands.map((command) => command.step).filter((step, i, all) => step !== all[i - 1]);
    expect(ran).toEqual([...RESTORE_STEPS]);
    expect(stand.throttled + stand.lostEvents).toBeGreaterThan(0);
    matrix.record({
      area: 'restore over SSM (events + watchdog polling)',
      fault: 'SSM throttling + lost status events',
      rate,
      requests: stand.requests,
      injected: stand.throttled + stand.lostEvents,
      runs: minute - 1,
      checks: [
        `job succeeded: ${RESTORE_STEPS.length} steps in order, ${stand.commands.length} commands, 0 overlapping`,
        `${stand.throttled} throttled calls, ${stand.lostEvents} lost events, ${failedHandlings} failed event handlings, ${failedWatchdogRuns} failed watchdog runs`,
      ],
    });
  });
});
