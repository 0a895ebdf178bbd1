/**
 * End to end: an in-place point-in-time restore of a real PostgreSQL 15 (archiving through the local archiver into
 * s3rver, catalog in dynalite) with `--resume-archiving`: the restored primary promotes onto timeline 2 with
 * archive_mode off, then the last step turns archiving back on and archives the new timeline's history file and
 * segments, so `walcat gaps` is OK on the new timeline.
 */

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterConfig } from '../../lib/domain/cluster.ts';
import type { Job } from '../../lib/domain/jobs/job.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import { evaluateContinuity } from '../../lib/use-cases/evaluate-continuity.ts';
import type { RestoreDeps } from '../../lib/use-cases/restore-dependencies.ts';
import { startRestore } from '../../lib/use-cases/start-restore.ts';
import {
  DEFAULT_CLUSTER_YAML,
  type HostTransport,
  startTestEnvironment,
  type TestEnvironment,
} from '../support/environment.ts';
import type { PgHandle } from '../support/postgres.ts';
import { driveRestoreToEnd, hostsYaml, restoreDepsOn } from '../support/restore-driver.ts';

let env: TestEnvironment;
let primary: PgHandle;
let cluster: ClusterConfig;
let catalog: CatalogStore;
let host: HostTransport;
let deps: RestoreDeps;

/** Switches to a new segment and waits until the archiver has archived it (psql only: no held connection). */
function switchAndWaitArchived(): Promise<string> {
  return env.switchAndWaitArchived(primary, { viaPsql: true, segmentsOnly: true });
}

function driveToEnd(job: Job): Promise<Job> {
  return driveRestoreToEnd(job, { deps, host, timeoutMs: 150_000 });
}

beforeAll(async () => {
  env = await startTestEnvironment({
    name: 'inplace-e2e',
    postgres: true,
    clusterYaml: (paths) => [...DEFAULT_CLUSTER_YAML, ...hostsYaml(paths, join(paths.root, 'env'))],
  });
  ({ primary, cluster, catalog } = env);
  // The primary's env dir, as on a real database host.
  env.writeEnvDir(join(env.root, 'env'), primary);
  const instances = [{ instanceId: 'local-primary', tags: { 'walcat:cluster': 'orders-main' } }];
  host = env.hostTransport(instances);
  deps = restoreDepsOn(env, host);
  // Only psql (a process per query) talks to the primary: the restore stops it, and a held connection would break.
  await primary.psql('create table t (id int primary key, note text)');
  await env.backupPush();
  await primary.psql("insert into t values (1, 'before')");
  await switchAndWaitArchived();
  await env.ingestAll();
}, 120_000);

afterAll(async () => {
  await env?.close();
}, 60_000);

describe('in-place restore with --resume-archiving on a real PostgreSQL 15', () => {
  it('ends with a primary that archives its new timeline, and walcat gaps is OK on it', async () => {
    const { job } = await startRestore(deps, {
      cluster,
      target: { kind: 'latest' },
      inPlace: true,
      resumeArchiving: true,
      jobId: 'r-e2e-in-place',
      recoveryTimeoutSeconds: 120,
    });
    const done = await driveToEnd(job);
    const row: Record<string, number | string> = {};
    for (const step of done.steps) row[step.name] = step.durationMs ?? '-';
    row.total = done.finishedAt ? done.finishedAt.getTime() - done.createdAt.getTime() : '-';
    console.log('in-place restore with resume-archiving, wall time by step (ms)');
    console.table({ 'in place + resume archiving': row });
    expect(done.restore?.failure?.message).toBeUndefined();
    expect(done.state).toBe('success');
    expect(done.restore?.outcome).toMatchObject({ timeline: 2, archiveMode: 'on', archiving: { timeline: 2 } });
    expect(await primary.psql('show archive_mode')).toBe('on');

    // The new timeline keeps archiving on its own: a write, a switch, archived.
    await primary.psql("insert into t values (2, 'after the restore')");
    const head = await switchAndWaitArchived();
    expect(head.startsWith('00000002')).toBe(true);
    await env.ingestAll();
    const history = await catalog.listHistoryFiles(cluster.id);
    expect(history.map((record) => record.timeline)).toContain(2);
    const evaluation = await evaluateContinuity(catalog, cluster, { now: new Date(), persistCursor: false });
    expect(evaluation.gaps.findings).toEqual([]);
    expect(evaluation.gaps.gaps).toEqual([]);
    expect(evaluation.gaps.status).toBe('OK');
    expect(evaluation.gaps.newestTimeline).toBe(2);
  }, 200_000);
});
