/** The local stack's parts that can be checked without starting it: config, ports, settings, Slack receiver, timers. */

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SlackWebhookNotifier } from '../../lib/adapters/slack/slack-webhook-notifier.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { readLocalStackSettings } from '../../lib/config/config-local-stack.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { ConfigError } from '../../lib/domain/errors.ts';
import { localConfigYaml, writeLocalClusterFiles } from '../../lib/local-stack/local-cluster-files.ts';
import { chooseLocalPorts } from '../../lib/local-stack/local-ports.ts';
import { LocalStackSetupError } from '../../lib/local-stack/local-stack-errors.ts';
import { startSchedules } from '../../lib/local-stack/scheduled-runs.ts';
import { readableSlackText, startSlackReceiver } from '../../lib/local-stack/slack-receiver.ts';

const FILE_OPTIONS = {
  dir: '/var/tmp/walcat-local',
  pgDataDir: '/var/tmp/walcat-local/pg/data',
  osUser: 'postgres',
  walgLocalBin: '/work/main/bin/wal-g-local.mjs',
  backupEveryMinutes: 5,
  walgEnv: { WALG_S3_PREFIX: 's3://walcat-local/demo' },
};

describe('the local cluster files', () => {
  it('describe one demo cluster the production config parser accepts, with hosts for the local shell transport', () => {
    const config = parseWalcatConfig(localConfigYaml(FILE_OPTIONS, '/var/tmp/walcat-local/walg-env'), 'local');
    const [demo] = config.clusters;
    expect(demo?.id).toBe('demo');
    expect(demo?.storage).toEqual({ bucket: 'walcat-local', prefix: 'demo/' });
    expect(demo?.walSegmentSize).toBe(1024 * 1024);
    expect(demo?.alerts.slackWebhookParameter).toBe('/walcat/local/slack');
    expect(demo?.hosts).toMatchObject({
      pgData: '/var/tmp/walcat-local/pg/data',
      osUser: 'postgres',
      walgEnvDir: '/var/tmp/walcat-local/walg-env',
      walgBinary: '/work/main/bin/wal-g-local.mjs',
      service: { kind: 'pg_ctl', binDir: '/usr/lib/postgresql/15/bin' },
    });
    expect(demo?.backupSchedule).toBe('rate(5 minutes)');
    // Drills restore onto the scratch host (this machine), into the stack folder, never the primary's directory.
    expect(demo?.drill).toMatchObject({
      schedule: 'rate(10 minutes)',
      target: { tagKey: 'walcat:scratch', tagValue: 'demo' },
      pgData: '/var/tmp/walcat-local/drill/demo',
    });
  });

  it('write an env dir with one world-readable file per variable, and refuse a folder with a space', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walcat-local-files-'));
    try {
      const files = writeLocalClusterFiles({ ...FILE_OPTIONS, dir, pgDataDir: join(dir, 'pg/data') });
      expect(readFileSync(join(files.walgEnvDir, 'WALG_S3_PREFIX'), 'utf8')).toBe('s3://walcat-local/demo\n');
      expect(statSync(join(files.walgEnvDir, 'WALG_S3_PREFIX')).mode & 0o777).toBe(0o644);
      expect(files.config.clusters[0]?.id).toBe('demo' as ClusterId);
      expect(() => writeLocalClusterFiles({ ...FILE_OPTIONS, dir: join(dir, 'with space') })).toThrow(
        /WALCAT_LOCAL_DIR to a plain path/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('ports and settings', () => {
  it('names the port in use and how to choose others', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await chooseLocalPorts(port).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(LocalStackSetupError);
      expect((error as Error).message).toContain(`port ${port} on 127.0.0.1 (for the local s3) is already in use`);
      expect((error as Error).message).toContain('--port-base N or WALCAT_LOCAL_PORT_BASE=N');
    } finally {
      blocker.close();
    }
  });

  it('picks six distinct free ports when no base is given', async () => {
    const ports = await chooseLocalPorts(undefined);
    expect(new Set(Object.values(ports)).size).toBe(6);
  });

  it('reads the folder and the port base, --port-base winning over the environment', () => {
    const env = { WALCAT_LOCAL_DIR: '/var/tmp/stack', WALCAT_LOCAL_PORT_BASE: '47100', PATH: '/usr/bin:/bin' };
    expect(readLocalStackSettings({}, env)).toEqual({
      dir: '/var/tmp/stack',
      portBase: 47100,
      hostEnv: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8' },
    });
    expect(readLocalStackSettings({ portBase: '48000' }, env).portBase).toBe(48000);
    expect(readLocalStackSettings({}, { WALCAT_LOCAL_DIR: '/var/tmp/stack' }).portBase).toBeUndefined();
    expect(() => readLocalStackSettings({ portBase: '80' }, env)).toThrow(ConfigError);
    expect(() => readLocalStackSettings({}, { WALCAT_LOCAL_PORT_BASE: 'abc' })).toThrow(/WALCAT_LOCAL_PORT_BASE "abc"/);
  });
});

describe('the local Slack receiver', () => {
  it('prints what the production notifier posts as one readable line', async () => {
    const lines: string[] = [];
    const receiver = await startSlackReceiver({ port: 0, print: (line) => lines.push(line) });
    try {
      const notifier = new SlackWebhookNotifier({ secrets: { get: async () => receiver.url } });
      await notifier.send(
        { cluster: 'demo' as ClusterId, slackWebhookParameter: '/walcat/local/slack' },
        {
          text: ':red_circle: demo: WAL gap: 1 segment lost &lt;timeline 1&gt;\nsee <https://x.example/|the runbook>',
          blocks: [],
        },
      );
      expect(lines).toEqual(['[slack] :red_circle: demo: WAL gap: 1 segment lost <timeline 1> see the runbook']);
    } finally {
      await receiver.close();
    }
  });

  it('turns mrkdwn escapes and links back into plain text', () => {
    expect(readableSlackText('a &amp; b &lt;c&gt; <http://u|label>')).toBe('a & b <c> label');
  });
});

describe('scheduled runs', () => {
  it('never overlap a job with itself and wait for the run in flight on stop', async () => {
    let active = 0;
    let maxActive = 0;
    let runs = 0;
    const schedules = startSchedules(
      [
        {
          name: 'slow',
          everyMs: 5,
          runAtStart: true,
          run: async () => {
            active++;
            maxActive = Math.max(maxActive, active);
            await new Promise((resolve) => setTimeout(resolve, 30));
            runs++;
            active--;
          },
        },
      ],
      () => undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await schedules.stop();
    expect(maxActive).toBe(1);
    expect(active).toBe(0);
    expect(runs).toBeGreaterThanOrEqual(2);
  });

  it('prints a failed run as one line and keeps the schedule', async () => {
    const lines: string[] = [];
    let attempts = 0;
    const schedules = startSchedules(
      [
        {
          name: 'flaky',
          everyMs: 10,
          runAtStart: true,
          run: async () => {
            attempts++;
            throw new Error('catalog unreachable');
          },
        },
      ],
      (line) => lines.push(line),
    );
    await new Promise((resolve) => setTimeout(resolve, 45));
    await schedules.stop();
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toBe('[flaky] failed: catalog unreachable');
  });
});
