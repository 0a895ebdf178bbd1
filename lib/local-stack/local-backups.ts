/**
 * The local backup scheduler: builds the same backup-push host script SSM would run on the primary and runs it on
 * this machine through a host-script runner (the local shell transport), then reports what it did.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import { buildBackupPushScript } from '../domain/host/backup-push-script.ts';
import type { ScriptResult } from '../domain/host/host-script.ts';

/** Runs one host script as root would on a host, and returns its parsed result line. */
export interface HostScriptRunner {
  run(script: string, options: { readonly timeoutMs: number }): Promise<HostScriptOutcome>;
}

export interface HostScriptOutcome {
  readonly exitCode: number;
  readonly result: ScriptResult | undefined;
  /** The end of what the script wrote to stderr, for a failure line (never printed in full). */
  readonly stderrTail: string;
}

export type LocalBackupOutcome =
  | { readonly status: 'succeeded'; readonly seconds: number }
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'failed'; readonly seconds: number; readonly detail: string };

const BACKUP_TIMEOUT_MS = 10 * 60_000;

export async function runLocalBackup(
  runner: HostScriptRunner,
  cluster: ClusterConfig,
  clock: () => number = Date.now,
): Promise<LocalBackupOutcome> {
  if (cluster.hosts === undefined) return { status: 'skipped', reason: `cluster ${cluster.id} has no hosts` };
  const script = buildBackupPushScript(cluster.hosts);
  const started = clock();
  const outcome = await runner.run(script, { timeoutMs: BACKUP_TIMEOUT_MS });
  const seconds = (clock() - started) / 1000;
  const result = outcome.result;
  if (result?.status === 'success') return { status: 'succeeded', seconds };
  if (result?.status === 'skipped') return { status: 'skipped', reason: result.reason };
  const where =
    result?.status === 'failed' ? `step ${result.step}, exit ${result.exitCode}` : `exit ${outcome.exitCode}`;
  const lastLine = outcome.stderrTail.trim().split('\n').at(-1) ?? '';
  return { status: 'failed', seconds, detail: `${where}${lastLine ? `: ${lastLine.slice(0, 300)}` : ''}` };
}
