import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliCommand } from '../../lib/cli/cli-command.ts';
import { gapsCommand } from '../../lib/cli/commands/gaps.ts';
import { statusCommand } from '../../lib/cli/commands/status.ts';
import type { LifecycleConflictFinding } from '../../lib/domain/bucket/lifecycle-review.ts';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import { BucketConfigurationUnsupportedError } from '../../lib/ports/bucket-inspector.ts';
import {
  baseBackup,
  clusterConfig,
  type Services,
  startCatalogedServices,
  walRuleConflict,
} from '../use-cases/continuity-test-setup.ts';
import { runCliCommand } from './run-cli-command.ts';

const NOW = new Date('2026-11-21T12:00:00Z');
const minute = (n: number): Date => new Date(NOW.getTime() + n * 60_000);

const conflict = walRuleConflict('1 of the 1 monthly');

const run = (command: CliCommand, cluster: ClusterConfig, json: boolean) =>
  runCliCommand(command, cluster, { json, now: NOW });

describe('lifecycle-conflict findings in gaps and status', () => {
  let services: Services;
  const cluster = clusterConfig();

  beforeAll(async () => {
    // A whole chain: segments 1..50, the last a minute ago. Continuity alone says OK.
    services = await startCatalogedServices({
      backups: [baseBackup(2, 3, minute(-50))],
      through: 50,
      uploadedAt: (segNo) => minute(segNo - 51),
    });
  });
  afterAll(() => services.close());

  const deps = (lifecycleFindings?: (c: ClusterConfig) => Promise<readonly LifecycleConflictFinding[]>) => ({
    catalog: () => services.catalog,
    alerts: () => services.alerts,
    color: false,
    ...(lifecycleFindings ? { lifecycleFindings } : {}),
  });

  it('gaps: a conflict is a FAILURE finding of kind lifecycle-conflict and exits 1', async () => {
    const alone = await run(gapsCommand(deps(async () => [])), cluster, true);
    expect(alone.code).toBe(0);
    expect(JSON.parse(alone.text).status).toBe('OK');

    const { code, text } = await run(gapsCommand(deps(async () => [conflict])), cluster, true);
    expect(code).toBe(1);
    const json = JSON.parse(text);
    expect(json.status).toBe('FAILURE');
    expect(json.findings).toEqual([{ ...conflict }]);
    const human = await run(gapsCommand(deps(async () => [conflict])), cluster, false);
    expect(human.text).toContain(`lifecycle-conflict FAILURE: ${conflict.message}`);
  });

  it('gaps: a transition warning makes an OK verdict WARNING, exit 0', async () => {
    const warning = { ...conflict, severity: 'WARNING' as const, conflict: 'needs-thaw' as const };
    const { code, text } = await run(gapsCommand(deps(async () => [warning])), cluster, true);
    expect(code).toBe(0);
    expect(JSON.parse(text).status).toBe('WARNING');
  });

  it('status: the conflict worsens the verdict and shows as a lifecycle line', async () => {
    const { code, text } = await run(statusCommand(deps(async () => [conflict])), cluster, true);
    expect(code).toBe(1);
    const [status] = JSON.parse(text);
    expect(status.gaps.status).toBe('FAILURE');
    expect(status.lifecycle).toEqual([{ rule: 'wal-35d', severity: 'FAILURE', message: conflict.message }]);
    const human = await run(statusCommand(deps(async () => [conflict])), cluster, false);
    expect(human.text.split('\n').at(-1)).toBe(`  lifecycle   FAILURE: ${conflict.message}`);
  });

  it('a bucket walcat cannot read is reported on stderr and the answer is still given', async () => {
    const denied = async (): Promise<never> => {
      throw new Error('bucket pg-backups: walcat may not read the lifecycle configuration (AccessDenied)');
    };
    const { code, text, err } = await run(gapsCommand(deps(denied)), cluster, true);
    expect(code).toBe(0);
    expect(JSON.parse(text).status).toBe('OK');
    expect(err).toContain('cluster orders-main: lifecycle rules not checked: bucket pg-backups: walcat may not read');
  });

  it('an S3 endpoint without lifecycle support (the local stack) is silently no conflict', async () => {
    const unsupported = async (): Promise<never> => {
      throw new BucketConfigurationUnsupportedError('NotImplemented');
    };
    const { code, err } = await run(gapsCommand(deps(unsupported)), cluster, true);
    expect(code).toBe(0);
    expect(err).toBe('');
  });
});
