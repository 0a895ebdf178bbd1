import { readFileSync } from 'node:fs';
import { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseRestoreOrchestratorInput } from '../../lib/adapters/events/restore-orchestrator-events.ts';
import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import { createRestoreDrillHandler } from '../../lib/handlers/restore-drill-handler.ts';
import { createRestoreOrchestratorHandler } from '../../lib/handlers/restore-orchestrator-handler.ts';
import type { OrchestratorDeps } from '../../lib/use-cases/orchestrate-restore.ts';
import {
  FakeCatalog,
  FakeInstances,
  FakeTransport,
  minutes,
  RecordingNotifier,
  restoreConfig,
} from '../use-cases/restore/restore-fixtures.ts';

const sample = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../events/${name}`, import.meta.url), 'utf8'));
const context = {} as Context;
const logger = new Logger({ serviceName: 'test', logLevel: 'SILENT' });

function deps(): OrchestratorDeps & { transport: FakeTransport } {
  let jobs = 0;
  const transport = new FakeTransport();
  return {
    catalog: new FakeCatalog().asStore(),
    jobs: new InMemoryJobStore(),
    transport,
    instances: new FakeInstances(),
    notifier: new RecordingNotifier(),
    clusters: restoreConfig().clusters,
    now: () => minutes(200),
    newJobId: () => `r-test-${++jobs}`,
  };
}

describe('restore orchestrator handler', () => {
  it('starts a restore from the sample start request, and sends its first step once', async () => {
    const d = deps();
    const handler = createRestoreOrchestratorHandler(d, logger);
    expect(await handler(sample('restore-start-request.json'), context)).toEqual({
      kind: 'started',
      jobId: 'r-test-1',
    });
    expect(d.transport.sent.map((request) => request.comment)).toEqual(['walcat restore r-test-1 preflight']);
  });

  it("refuses status events and schedules, which are the job tracker's, naming where they belong", async () => {
    const d = deps();
    const handler = createRestoreOrchestratorHandler(d, logger);
    await handler(sample('restore-start-request.json'), context);
    const event = sample('ssm-restore-step-success.json') as { detail: Record<string, string> };
    event.detail['command-id'] = 'cmd-1';
    event.detail['instance-id'] = 'i-0a1b2c3d4e5f60718';
    d.transport.finish('Success');
    for (const input of [event, sample('ssm-restore-step-failed.json'), { 'detail-type': 'Scheduled Event' }]) {
      expect(await handler(input, context)).toMatchObject({
        kind: 'refused',
        reason: expect.stringContaining('job-tracker function'),
      });
    }
    // Nothing moved the job: its first step is still the one in flight.
    expect(d.transport.sent).toHaveLength(1);
    expect((await d.jobs.getById('orders-main' as never, 'r-test-1'))?.steps[0]?.state).toBe('queued');
  });

  it('refuses malformed or unknown requests without throwing', async () => {
    const handler = createRestoreOrchestratorHandler(deps(), logger);
    expect(await handler(sample('restore-resume-request.json'), context)).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('no restore job'),
    });
    expect(
      await handler({ action: 'start-restore', cluster: 'orders-main', to: '2026-11-20T10:30:00' }, context),
    ).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('2026-11-20T10:30:00Z'),
    });
    expect(
      await handler({ action: 'start-restore', cluster: 'nope', to: 'latest', inPlace: true }, context),
    ).toMatchObject({
      kind: 'refused',
      reason: expect.stringContaining('not configured'),
    });
    expect(await handler({ hello: 'world' }, context)).toMatchObject({ kind: 'refused' });
  });

  it('keeps the settings and resume-archiving of a start request in the job it starts', async () => {
    const d = deps();
    const handler = createRestoreOrchestratorHandler(d, logger);
    const copy = { ...(sample('restore-start-request.json') as Record<string, unknown>) };
    expect(await handler({ ...copy, settings: { port: 5544, shared_buffers: '64MB' } }, context)).toEqual({
      kind: 'started',
      jobId: 'r-test-1',
    });
    const [started] = await d.jobs.list('orders-main' as never, { types: ['restore'] });
    expect(started?.restore?.request.extraSettings).toEqual({ port: '5544', shared_buffers: '64MB' });
    expect(started?.restore?.request.resumeArchiving).toBeUndefined();

    const inPlace = deps();
    const inPlaceHandler = createRestoreOrchestratorHandler(inPlace, logger);
    const request = { action: 'start-restore', cluster: 'orders-main', to: 'latest', inPlace: true };
    expect(await inPlaceHandler({ ...request, resumeArchiving: true }, context)).toEqual({
      kind: 'started',
      jobId: 'r-test-1',
    });
    const [resuming] = await inPlace.jobs.list('orders-main' as never, { types: ['restore'] });
    expect(resuming?.restore?.request.resumeArchiving).toBe(true);
    expect(resuming?.steps.at(-1)?.name).toBe('resume-archiving');
  });

  it('parses start requests strictly', () => {
    expect(
      parseRestoreOrchestratorInput({ action: 'start-restore', cluster: 'c', to: 'latest', extra: 1 }),
    ).toMatchObject({
      kind: 'invalid',
    });
    expect(
      parseRestoreOrchestratorInput({
        action: 'start-restore',
        cluster: 'c',
        lsn: '0/3000060',
        hostTag: { key: 'walcat:scratch', value: 'c' },
        pause: true,
      }),
    ).toEqual({
      kind: 'start',
      request: {
        cluster: 'c',
        target: { kind: 'lsn', lsn: 0x3000060n },
        host: { kind: 'tag', tagKey: 'walcat:scratch', tagValue: 'c' },
        inPlace: false,
        action: 'pause',
      },
    });
  });
});

describe('restore drill handler', () => {
  it('starts the drill of the cluster named by the schedule input, onto the scratch host', async () => {
    const d = deps();
    const handler = createRestoreDrillHandler({ ...d, random: () => 0.25, newJobId: () => 'd-test-1' }, logger);
    expect(await handler(sample('restore-drill-schedule.json') as { cluster: string }, context)).toEqual({
      clusters: 1,
      failed: 0,
    });
    expect(d.transport.sent[0]?.targets).toEqual({ instanceIds: ['i-0scratch0000000001'] });
    const [drill] = await d.jobs.list(restoreConfig().clusters[0]?.id ?? ('' as never), { types: ['drill'] });
    expect(drill?.id).toBe('d-test-1');
  });

  it('fails the run (so it is retried) only when every cluster failed', async () => {
    const d = deps();
    const broken = { ...d, instances: { instancesWithTag: async () => Promise.reject(new Error('SSM down')) } };
    const handler = createRestoreDrillHandler({ ...broken, random: () => 0.25, newJobId: () => 'd-test-2' }, logger);
    await expect(handler({}, context)).rejects.toThrow('SSM down');
  });
});
