/**
 * status, gaps and window answer in at most 3 DynamoDB requests, counted on the wire, at any archive size: with a
 * cursor a watchdog stored, and without a watchdog (the first CLI run reads everything and stores the cursor).
 * Segments created since the cursor cost no extra request, a deletion one read once; gaps never cost one each.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CountingServer, startCountingDynalite } from '../../bench/support/counting-servers.ts';
import type { CliCommand } from '../../lib/cli/cli-command.ts';
import { gapsCommand } from '../../lib/cli/commands/gaps.ts';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import { windowCommand } from '../../lib/cli/commands/window.ts';
import type { LifecycleRule } from '../../lib/domain/bucket/bucket-configuration.ts';
import { bucketDigest } from '../../lib/domain/bucket/bucket-digest.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import { dynaliteClients } from '../support/dynalite.ts';
import {
  archiveSegments,
  baseBackup,
  catalogBackup,
  clusterConfig,
  type Services,
  segmentsThrough,
  startServices,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const second = (n: number): Date => new Date(T0.getTime() + n * 1000);
const cluster = clusterConfig();
const MAX_REQUESTS = 3;

let dynalite: CountingServer;
beforeAll(async () => {
  dynalite = await startCountingDynalite();
});
afterAll(async () => {
  await dynalite?.close();
});

/** The writers' clock: the archive was written an hour before what follows it (as a watchdog would see it). */
let clock = T0;
/** A rule that moves WAL to Glacier after 30 days: a changed segment's class must then be read from its item. */
const walToGlacier: LifecycleRule = {
  id: 'wal-to-glacier',
  enabled: true,
  filter: { prefix: 'orders-main/wal_005/', tags: [] },
  expiredObjectDeleteMarker: false,
  transitions: [{ timing: { days: 30 }, storageClass: 'GLACIER' }],
  noncurrentVersionTransitions: [],
};

async function servicesWith(segments: number, lifecycle: readonly LifecycleRule[] = []): Promise<Services> {
  clock = T0;
  const handle = { ...dynaliteClients(dynalite.endpoint), endpoint: dynalite.endpoint, port: dynalite.port };
  const services = await startServices({ ...handle, close: async () => {} }, { now: () => clock });
  // What the catalog sync read of the bucket (it stores this digest at every sync).
  await services.catalog.updateClusterState(cluster.id, {
    bucket: bucketDigest('orders-main/', { readAt: T0, lifecycle, versioning: 'unversioned' }),
  });
  await catalogBackup(services, baseBackup(2, 3, second(4)));
  // Two old holes: each used to cost its own re-read.
  await archiveSegments(services, 1, segmentsThrough(segments, [20, segments - 20]), (segNo) => second(segNo));
  clock = new Date(T0.getTime() + 3_600_000);
  return services;
}

async function requestsOf(command: CliCommand, now: Date): Promise<{ requests: number; json: unknown }> {
  const before = dynalite.requests.total;
  const run = await runCliCommand(command, cluster, { json: true, now });
  return { requests: dynalite.requests.total - before, json: JSON.parse(run.text) };
}

const commands = (services: Services) => {
  const deps = { catalog: () => services.catalog, alerts: () => services.alerts, color: false };
  return { gaps: gapsCommand(deps), window: windowCommand(deps), status: statusCommand(deps) };
};

describe.each([200, 2_500])('continuity answers at %i segments', (segments) => {
  it.each([
    ['no transition rule', [], 0],
    ['a rule moving WAL to Glacier (changed segments are read once more, for their class)', [walToGlacier], 1],
  ] as const)(
    'cost at most 3 requests each with a stored cursor, also after new and deleted WAL, with %s',
    async (_name, lifecycle, classReads) => {
      const services = await servicesWith(segments, lifecycle);
      const now = second(segments + 3600);
      await evaluateContinuity(services.catalog, cluster, { now, persistCursor: true });
      clock = new Date(clock.getTime() + 600_000);
      // Since the cursor: more segments, and one deleted in the middle.
      await archiveSegments(services, 1, [segments + 1, segments + 2], (segNo) => second(segNo));
      await services.catalog.applyWalChanges([
        {
          origin: 'event',
          record: {
            cluster: cluster.id,
            key: `orders-main/wal_005/${'00000001'}${'00000000'}${(100).toString(16).toUpperCase().padStart(8, '0')}.lz4`,
            kind: 'segment',
            timeline: 1 as never,
            segNo: 100 as never,
            compression: 'lz4',
            size: 1000,
            uploadedAt: second(100),
            sequencer: 'FFFFFFFFFFFFFFFF',
            deleted: true,
            deletedAt: second(segments + 10),
          },
        },
      ]);
      const { gaps, window, status } = commands(services);
      // Once: one read around the removed segment, and the cursor stored so the next run need not repeat it.
      const answered = await requestsOf(gaps, now);
      expect(answered.requests).toBeLessThanOrEqual(MAX_REQUESTS + 2 + classReads);
      expect((answered.json as { gaps: Array<{ from: string }> }).gaps.map((gap) => gap.from)).toEqual([
        '000000010000000000000014',
        '000000010000000000000064',
        expect.stringMatching(/^00000001/),
      ]);
      for (const command of [gaps, window, status]) {
        expect((await requestsOf(command, now)).requests).toBeLessThanOrEqual(MAX_REQUESTS);
      }
      await services.close();
    },
    120_000,
  );

  it('cost at most 3 requests each without a watchdog, after the first CLI run stored its cursor', async () => {
    const services = await servicesWith(segments);
    const now = second(segments + 3600);
    const { gaps, window, status } = commands(services);
    const first = await requestsOf(status, now);
    expect(first.requests).toBeGreaterThan(0);
    for (const command of [gaps, window, status]) {
      expect((await requestsOf(command, now)).requests).toBeLessThanOrEqual(MAX_REQUESTS);
    }
    await services.close();
  }, 120_000);
});
