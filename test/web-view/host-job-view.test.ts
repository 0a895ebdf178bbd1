import { describe, expect, it } from 'vitest';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { applyCommandStatus, newJob } from '../../lib/domain/jobs/job.ts';
import { hostJobView } from '../../lib/web-view/host-job-view.ts';

const queued = newJob({
  id: 'job-1',
  cluster: 'demo' as ClusterId,
  type: 'backup-push',
  commandId: 'c-1',
  now: new Date('2026-11-20T10:00:00Z'),
  lock: 'backup',
});

describe('host jobs in the web view', () => {
  it('shows a queued backup-push with when it was created', () => {
    expect(hostJobView(queued)).toEqual({
      id: 'job-1',
      kind: 'backup-push',
      status: 'queued',
      startedAt: '2026-11-20T10:00:00.000Z',
    });
  });

  it('shows a finished backup-push with its host and the outcome the tracker recorded', () => {
    const invoked = applyCommandStatus(queued, {
      commandId: 'c-1',
      instanceId: 'i-local-demo',
      status: 'Success',
      at: new Date('2026-11-20T10:00:05Z'),
      exitCode: 0,
      stdoutTail: 'WALCAT_RESULT {"status":"success","script":"backup-push","data":null}\n',
      stderrTail: '',
    });
    const done = applyCommandStatus(invoked, {
      commandId: 'c-1',
      status: 'Success',
      at: new Date('2026-11-20T10:00:06Z'),
    });
    const view = hostJobView(done);
    expect(view).toMatchObject({ kind: 'backup-push', status: 'success', finishedAt: '2026-11-20T10:00:06.000Z' });
    expect(view.detail).toContain('on i-local-demo');
  });
});
