import { describe, expect, it } from 'vitest';
import type { ClusterId } from '../../../lib/domain/cluster.ts';
import type { Job } from '../../../lib/domain/jobs/job.ts';
import { drillTarget } from '../../../lib/domain/restore/drill-target.ts';
import { applyCommandUpdate, createRestoreJob, markStepDispatched } from '../../../lib/domain/restore/restore-job.ts';
import { newRestoreJobId } from '../../../lib/domain/restore/restore-job-id.ts';
import type { RestorePlan } from '../../../lib/domain/restore/restore-plan.ts';
import {
  formatDuration,
  renderRestoreStatus,
  restoreSlackMessage,
  restoreStatusJson,
} from '../../../lib/domain/restore/restore-report.ts';
import { parseRestoreTarget } from '../../../lib/domain/restore/restore-target.ts';
import { walSegmentSize } from '../../../lib/domain/wal/segment-size.ts';

const at = (seconds: number) => new Date(Date.parse('2026-11-20T14:31:00Z') + seconds * 1000);

function failedJob(): Job {
  const job = createRestoreJob({
    id: 'r-1',
    cluster: 'orders-main' as ClusterId,
    type: 'restore',
    now: at(0),
    request: {
      target: parseRestoreTarget({ to: '2026-11-20T14:30:00Z' }),
      baseBackup: 'base_000000010000000000000004',
      timeline: 1,
      action: 'promote',
      host: { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' },
      inPlace: false,
      hostSettings: {
        target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
        pgData: '/var/lib/postgresql/15/main',
        osUser: 'postgres',
        service: { kind: 'systemd', unit: 'postgresql@15-main' },
        walgBinary: 'wal-g',
      },
      recoveryTimeoutSeconds: 600,
    },
  });
  const sent = markStepDispatched(job, 'preflight', 'c-1', at(1));
  return applyCommandUpdate(sent, {
    commandId: 'c-1',
    status: 'Failed',
    at: at(3.5),
    stderrTail: 'walcat: <b>&</b> has 10 bytes free; PGPASSWORD=hunter2\n',
  }).job;
}

describe('restore reports', () => {
  it.each([
    [850, '850 ms'],
    [12_400, '12.4 s'],
    [185_000, '3 min 05 s'],
    [3_720_000, '1 h 02 min'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('status shows every step with its duration, the failure and where the old data directory is', () => {
    const text = renderRestoreStatus(failedJob(), at(10));
    expect(text).toContain('restore r-1 (orders-main) failed after 3.5 s');
    expect(text).toMatch(/preflight\s+failed\s+2\.5 s/);
    expect(text).toMatch(/verify\s+pending/);
    expect(text).toContain('/var/lib/postgresql/15/main.walcat-r-1');
    expect(text).not.toContain('hunter2');
    expect(restoreStatusJson(failedJob()).steps[0]).toMatchObject({
      name: 'preflight',
      step: 'preflight',
      seconds: 2.5,
      durationMs: 2500,
      attempts: 1,
    });
  });

  it('Slack: the failure with the escaped stderr tail and how to resume, never a secret', () => {
    const message = restoreSlackMessage(failedJob(), 'failed');
    expect(message.text).toContain('failed at step preflight on i-0a1b2c3d4e5f60718');
    const blocks = JSON.stringify(message.blocks);
    expect(blocks).toContain('&lt;b&gt;&amp;&lt;/b&gt;');
    expect(blocks).toContain('walcat restore start --cluster orders-main --resume r-1');
    expect(blocks).not.toContain('hunter2');
  });
});

describe('drill target and job ids', () => {
  const size = walSegmentSize(16 * 1024 * 1024);
  const plan = {
    baseBackup: { finishLsn: 0x8001028n },
    wal: { to: { timeline: 1, segNo: 20 } },
  } as unknown as RestorePlan;

  it.each([
    [0, 0x8001028n],
    [0.25, 0xb000c1en],
    [0.5, 0xe000814n],
    [1, 0x14000000n],
  ])('random %f lands between the newest backup consistency point and the last segment start: %s', (random, lsn) => {
    expect(drillTarget(plan, () => random, size)).toEqual({ kind: 'lsn', lsn });
  });

  it('drills to latest when the chain ends in the backup own last segment', () => {
    const short = { ...plan, wal: { to: { timeline: 1, segNo: 8 } } } as unknown as RestorePlan;
    expect(drillTarget(short, () => 0.5, size)).toEqual({ kind: 'latest' });
  });

  it('job ids carry the kind and the creation second and fit a directory name', () => {
    expect(newRestoreJobId('restore', new Date('2026-11-20T14:31:00.123Z'), () => 0.5)).toBe(
      'r-20261120t143100z-iiiiii',
    );
    expect(newRestoreJobId('drill', new Date('2026-11-20T14:31:00Z'), () => 0.999_999_9)).toMatch(
      /^d-20261120t143100z-[a-z0-9]{6}$/,
    );
  });
});
