/**
 * gaps, status and window report the bucket's lifecycle conflicts from the digest the catalog sync stored in the
 * cluster's state: the rules as read then, against the catalog's backups and retention now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliCommand } from '../../lib/cli/cli-command.ts';
import { gapsCommand } from '../../lib/cli/commands/gaps.ts';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import { windowCommand } from '../../lib/cli/commands/window.ts';
import type { LifecycleRule } from '../../lib/domain/bucket/bucket-configuration.ts';
import {
  baseBackup,
  clusterConfig,
  expiredRule,
  type Services,
  startCatalogedServices,
  storeBucketRules,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);

const cluster = clusterConfig();
const run = (command: CliCommand, json: boolean) => runCliCommand(command, cluster, { json, now: NOW });

const deepArchive: LifecycleRule = {
  ...expiredRule('deep'),
  transitions: [{ timing: { date: new Date('2026-01-01T00:00:00Z') }, storageClass: 'DEEP_ARCHIVE' }],
};
delete (deepArchive as { expiration?: unknown }).expiration;

describe('lifecycle-conflict findings in gaps, status and window, from the stored bucket digest', () => {
  let services: Services;

  beforeAll(async () => {
    // A whole chain: segments 1..50, the last a minute ago. Continuity alone says OK.
    services = await startCatalogedServices({
      backups: [baseBackup(2, 3, minute(-50))],
      through: 50,
      uploadedAt: (segNo) => minute(segNo - 51),
    });
  });
  afterAll(() => services.close());

  const deps = () => ({ catalog: () => services.catalog, alerts: () => services.alerts, color: false });

  it('no digest yet, or a bucket without rules: the answer is continuity alone, and nothing on stderr', async () => {
    const before = await run(gapsCommand(deps()), true);
    expect([before.code, JSON.parse(before.text).status, before.err]).toEqual([0, 'OK', '']);
    await storeBucketRules(services, [], minute(-5));
    const none = await run(gapsCommand(deps()), true);
    expect([none.code, JSON.parse(none.text).status, none.err]).toEqual([0, 'OK', '']);
  });

  it('gaps: an expiration is a FAILURE finding of kind lifecycle-conflict and exits 1', async () => {
    await storeBucketRules(services, [expiredRule('expire-all')], minute(-5));
    const { code, text } = await run(gapsCommand(deps()), true);
    expect(code).toBe(1);
    const json = JSON.parse(text);
    expect(json.status).toBe('FAILURE');
    const conflicts = json.findings.filter((finding: { kind: string }) => finding.kind === 'lifecycle-conflict');
    expect(conflicts.length).toBeGreaterThan(0);
    expect(
      conflicts.every((f: { rule: string; severity: string }) => f.rule === 'expire-all' && f.severity === 'FAILURE'),
    ).toBe(true);
    const human = await run(gapsCommand(deps()), false);
    expect(human.text).toContain(`lifecycle-conflict FAILURE: ${conflicts[0].message}`);
  });

  it('gaps: a transition to DEEP_ARCHIVE makes an OK verdict WARNING, exit 0', async () => {
    await storeBucketRules(services, [deepArchive], minute(-5));
    const { code, text } = await run(gapsCommand(deps()), true);
    expect(code).toBe(0);
    expect(JSON.parse(text).status).toBe('WARNING');
  });

  it('status: the conflict worsens the verdict and shows as a lifecycle line', async () => {
    await storeBucketRules(services, [expiredRule('expire-all')], minute(-5));
    const { code, text } = await run(statusCommand(deps()), true);
    expect(code).toBe(1);
    const [status] = JSON.parse(text);
    expect(status.gaps.status).toBe('FAILURE');
    expect(status.lifecycle.length).toBeGreaterThan(0);
    expect(status.lifecycle[0]).toMatchObject({ rule: 'expire-all', severity: 'FAILURE' });
    const human = await run(statusCommand(deps()), false);
    expect(human.text.split('\n').at(-1)).toBe(`  lifecycle   FAILURE: ${status.lifecycle.at(-1).message}`);
  });

  it('window: the ranges stand, and the rules that cut them are listed beside them', async () => {
    await storeBucketRules(services, [expiredRule('expire-all')], minute(-5));
    const { code, text } = await run(windowCommand(deps()), true);
    expect(code).toBe(0);
    const json = JSON.parse(text);
    expect(json.ranges.length).toBeGreaterThan(0);
    expect(json.lifecycle.map((conflict: { conflict: string }) => conflict.conflict)).toContain('pitr-window-shrinks');
  });

  it('rules the sync could not read are reported on stderr and the answer is still given', async () => {
    await storeBucketRules(
      services,
      {
        kind: 'unreadable',
        message: 'bucket pg-backups: walcat may not read the lifecycle configuration (AccessDenied)',
      },
      minute(-5),
    );
    const { code, text, err } = await run(gapsCommand(deps()), true);
    expect(code).toBe(0);
    expect(JSON.parse(text).status).toBe('OK');
    expect(err).toContain('cluster orders-main: lifecycle rules not checked');
    expect(err).toContain('bucket pg-backups: walcat may not read the lifecycle configuration');
  });

  it('an S3 endpoint without lifecycle support (the local stack) is silently no conflict', async () => {
    await storeBucketRules(services, { kind: 'unsupported', message: 'NotImplemented' }, minute(-5));
    const { code, err } = await run(gapsCommand(deps()), true);
    expect(code).toBe(0);
    expect(err).toBe('');
  });
});
