import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Job, newJob } from '../../lib/domain/jobs/job.ts';
import type { JobStore } from '../../lib/ports/job-store.ts';
import { latestArchiverSignal } from '../../lib/use-cases/archiver-signal.ts';
import { watchClusterWal } from '../../lib/use-cases/watch-wal.ts';
import {
  archiveSegments,
  baseBackup,
  CLUSTER,
  catalogBackup,
  clusterConfig,
  type Services,
  startServices,
} from './continuity-test-setup.ts';

const T0 = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(T0.getTime() + n * 60_000);
const cluster = clusterConfig();

/** A finished probe job as the job tracker stores it, with the probe script's JSON answer. */
function probeJob(id: string, finishedAt: Date, answer: Record<string, unknown>): Job {
  return {
    ...newJob({ id, cluster: CLUSTER, type: 'archiver-probe', commandId: `cmd-${id}`, now: finishedAt }),
    state: 'success',
    finishedAt,
    resultData: {
      current_lsn: '0/C000060',
      last_archived_wal: '00000001000000000000000A',
      last_archived_time: minute(-2).toISOString(),
      failed_count: 3,
      last_failed_wal: null,
      last_failed_time: null,
      in_recovery: false,
      server_version_num: 150004,
      stats_reset: '2026-11-01T00:00:00.000000Z',
      timeline: 1,
      ...answer,
    },
  };
}

/** Newest first, as the job store lists them. */
const jobsOf = (...jobs: Job[]): Pick<JobStore, 'list'> => ({ list: async () => jobs });

describe('the archiver probe feeds the WAL watchdog', () => {
  let services: Services;

  beforeAll(async () => {
    services = await startServices();
    await services.catalog.updateClusterState(CLUSTER, { lastFullSyncAt: T0 });
    await catalogBackup(services, baseBackup(2, 3, minute(-9)));
    // Segments 1..10 (16 MiB) archived a minute apart up to a minute ago; the primary is writing segment 12.
    await archiveSegments(services, 1, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], (segNo) => minute(segNo - 11));
  });
  afterAll(() => services.close());

  it("turns the newest probe into the primary's live position and its new archive_command failures", async () => {
    const jobs = jobsOf(
      probeJob('new', minute(-1), { failed_count: 5, last_failed_wal: '00000001000000000000000B' }),
      probeJob('old', minute(-6), { failed_count: 3 }),
    );
    const signal = await latestArchiverSignal({ jobs, catalog: services.catalog }, cluster, T0);
    expect(signal?.livePosition).toEqual({ timeline: 1, lsn: 0xc000060n });
    expect(signal?.findings.map((finding) => finding.kind)).toEqual(['archive-failing']);
    expect(signal?.findings[0]?.summary).toMatch(/failed 2 time\(s\) since the last probe/);
  });

  it('ignores a probe older than 15 minutes: a silent probe never vouches for the present', async () => {
    const jobs = jobsOf(probeJob('stale', minute(-16), { failed_count: 9 }), probeJob('older', minute(-21), {}));
    expect(await latestArchiverSignal({ jobs, catalog: services.catalog }, cluster, T0)).toBeUndefined();
  });

  it('opens one archiver alert from the findings, and a broken probe answer never stops the WAL watch', async () => {
    const sent: string[] = [];
    const deps = {
      catalog: services.catalog,
      alerts: services.alerts,
      notifier: { send: async (_target: unknown, message: { text: string }) => void sent.push(message.text) },
    };
    const jobs = jobsOf(
      probeJob('new', minute(-1), { failed_count: 5 }),
      probeJob('old', minute(-6), { failed_count: 3 }),
    );
    const watched = await watchClusterWal(
      { ...deps, archiverSignal: (c, now) => latestArchiverSignal({ jobs, catalog: services.catalog }, c, now) },
      cluster,
      { now: T0 },
    );
    expect(watched.archiverSignalError).toBeUndefined();
    const open = (await services.alerts.listAlerts(CLUSTER)).filter((alert) => alert.kind === 'archiver');
    expect(open.map((alert) => [alert.subject, alert.severity, alert.state])).toEqual([
      ['archive-failing', 'FAILURE', 'open'],
    ]);
    expect(sent.filter((text) => text.includes('Archiving on the primary'))).toHaveLength(1);

    const broken = await watchClusterWal(
      {
        ...deps,
        archiverSignal: () => Promise.reject(new Error('probe answer is not JSON')),
      },
      cluster,
      { now: minute(1) },
    );
    expect(broken.archiverSignalError).toBe('probe answer is not JSON');
    // No answer is not evidence of recovery: the archiver alert stays open and nothing is resolved in Slack.
    const still = (await services.alerts.listAlerts(CLUSTER)).filter((alert) => alert.kind === 'archiver');
    expect(still.map((alert) => alert.state)).toEqual(['open']);
    expect(sent.filter((text) => text.includes('resolved: archiving on the primary works again'))).toEqual([]);
  });
});
