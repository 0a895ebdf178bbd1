/**
 * A failed host job shows the end of its stderr, where a tool's own error is: SSM's inline stderr
 * (`StandardErrorContent`, which the local shell transport reproduces) is only the first 8,000 characters, so the
 * host script keeps stderr in a file and carries its last lines in the result line. Run for real: the script the
 * config builds, a wal-g stand-in that writes 20,000 characters of progress and then its error, the local shell
 * transport, and the job model that turns the invocation into what the tracker shows.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalShellTransport } from '../../../lib/adapters/local/local-shell-transport.ts';
import { parseWalcatConfig } from '../../../lib/config/config.ts';
import type { ClusterId, HostSettings } from '../../../lib/domain/cluster.ts';
import { buildHostScript, parseScriptResult } from '../../../lib/domain/host/host-script.ts';
import { applyCommandStatus, newJob } from '../../../lib/domain/jobs/job.ts';

const FINAL_ERROR = 'ERROR: 2026/12/02 13:00:00.000000 failed to upload: NoSuchBucket: the bucket does not exist';
let root: string;
let transport: LocalShellTransport;
let host: HostSettings;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'walcat-stderr-tail-'));
  const walg = join(root, 'wal-g');
  // 250 progress lines of 80 characters (20,000), then the one line that says what went wrong, with a secret.
  writeFileSync(
    walg,
    [
      '#!/bin/bash',
      'for i in $(seq 1 250); do printf "INFO: 2026/12/02 uploading part %04d of the backup .......................\\n" "$i" >&2; done',
      'echo "WALG_S3_SECRET_KEY=hunter2-not-for-slack" >&2',
      `echo '${FINAL_ERROR}' >&2`,
      'exit 1',
      '',
    ].join('\n'),
  );
  chmodSync(walg, 0o755);
  const config = parseWalcatConfig(
    [
      'clusters:',
      '  - id: orders-main',
      '    storage: s3://acme/orders-main',
      '    hosts:',
      '      target: { tagKey: role, tagValue: db }',
      '      pgData: /var/lib/postgresql/15/main',
      `      osUser: ${userInfo().username}`,
      `      walgBinary: ${walg}`,
      '      service: systemd:postgresql@15-main',
    ].join('\n'),
    'stderr tail test',
  );
  host = config.clusters[0]?.hosts as HostSettings;
  transport = new LocalShellTransport({
    workDir: join(root, 'work'),
    baseEnv: { PATH: '/usr/bin:/bin' },
    instances: [{ instanceId: 'i-db', tags: { role: 'db' } }],
  });
});
afterAll(async () => {
  await transport?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the stderr tail of a failed host job', () => {
  it('is the end of stderr (the tool’s final error), redacted, even after 20,000 characters of output', async () => {
    const script = buildHostScript({
      name: 'backup-push',
      host,
      steps: [{ kind: 'wal-g', name: 'backup-push', args: ['backup-push', host.pgData] }],
    });
    const { commandId } = await transport.send({
      targets: { instanceIds: ['i-db'] },
      script,
      timeoutSeconds: 30,
      comment: 'stderr tail',
    });
    await transport.waitFor(commandId);
    const invocation = await transport.getInvocation(commandId, 'i-db');
    expect(invocation?.status).toBe('Failed');
    // What SSM (and so the transport) keeps inline is the head: the error is not in it.
    expect(invocation?.stderrTail.length).toBe(8_000);
    expect(invocation?.stderrTail).not.toContain('NoSuchBucket');
    expect(parseScriptResult(invocation?.stdoutTail ?? '')).toMatchObject({ status: 'failed', step: 'backup-push' });

    const now = new Date('2026-12-02T13:00:00Z');
    const job = applyCommandStatus(
      newJob({ id: 'job-1', cluster: 'orders-main' as ClusterId, type: 'backup-push', commandId, now }),
      {
        commandId,
        instanceId: 'i-db',
        status: 'Failed',
        at: now,
        exitCode: invocation?.exitCode ?? -1,
        stdoutTail: invocation?.stdoutTail ?? '',
        stderrTail: invocation?.stderrTail ?? '',
      },
    );
    expect(job.state).toBe('failed');
    expect(job.stderrTail?.trimEnd().split('\n').at(-1)).toBe(FINAL_ERROR);
    expect(job.stderrTail).toContain('WALG_S3_SECRET_KEY=[REDACTED]');
    expect(job.stderrTail).not.toContain('hunter2');
    expect(job.stderrTail?.length).toBeLessThanOrEqual(4_000);
  });
});
