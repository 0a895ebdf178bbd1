/**
 * The CLI's door: resolves where the config and the AWS endpoints come from (`--config`, `--local`, the
 * environment), gets the adapters from the wiring seam (lib/wiring) on first use, and hands each command module
 * the adapters it needs.
 */
import { join } from 'node:path';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import { loadWalcatConfig, readRuntimeEnvironment } from '../config/config.ts';
import { localStackDir, readLocalStackInfo, wantsLocalStack } from '../config/config-local-stack.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import { historyTextOrUndefined } from '../domain/wal/history-file-content.ts';
import { type AdapterSet, createAdapterSet } from '../wiring/adapter-set.ts';
import { localAdapterSet, localEndpoints } from '../wiring/local-adapter-set.ts';
import { bucketReaders } from './bucket-readers.ts';
import type { CliCommand } from './cli-command.ts';
import { backupCommand } from './commands/backup.ts';
import { backupsCommand } from './commands/backups.ts';
import { doctorCommand } from './commands/doctor.ts';
import { drillCommand } from './commands/drill.ts';
import { gapsCommand } from './commands/gaps.ts';
import { initCommand } from './commands/init.ts';
import { jobsCommand } from './commands/jobs.ts';
import { localCommand } from './commands/local.ts';
import { restorePlanCommand } from './commands/restore-plan.ts';
import { restoreStartCommand } from './commands/restore-start.ts';
import { restoreStatusCommand } from './commands/restore-status.ts';
import { retentionApplyCommand } from './commands/retention-apply.ts';
import { retentionPlanCommand } from './commands/retention-plan.ts';
import { statusCommand } from './commands/status.ts';
import { syncCommand } from './commands/sync.ts';
import { walCommand } from './commands/wal.ts';
import { windowCommand } from './commands/window.ts';
import { describeUnreachable } from './unreachable-service.ts';

type Environment = Readonly<Record<string, string | undefined>>;

export interface CliRuntime {
  readonly commands: readonly CliCommand[];
  config(): Promise<WalcatConfig>;
  close(): void;
  /** The message when an error is a failure to reach a service (naming it), else undefined. */
  describeUnreachable?(error: unknown): string | undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `--config PATH` or `--config=PATH`, read before the command's own options are known. */
function configFlag(argv: readonly string[]): string | undefined {
  const index = argv.indexOf('--config');
  if (index >= 0) return argv[index + 1];
  return argv.find((arg) => arg.startsWith('--config='))?.slice('--config='.length);
}

export async function createCliRuntime(options: {
  readonly argv: readonly string[];
  readonly env: Environment;
  readonly stderr: (text: string) => void;
  /** Whether human output may use colour (stdout is a TTY and NO_COLOR is unset). */
  readonly color?: boolean;
}): Promise<CliRuntime> {
  const { argv, env } = options;
  const runtime = readRuntimeEnvironment(env);
  const local = wantsLocalStack(argv, env) ? readLocalStackInfo(localStackDir(env)) : undefined;
  const region = runtime.region ?? 'us-east-1';
  const endpoints: AwsEndpoints = local ? localEndpoints(local, region) : runtime.endpoints;
  const configPath = configFlag(argv) ?? local?.configPath ?? runtime.configPath;

  let config: WalcatConfig | undefined;
  const loadConfig = (): WalcatConfig => {
    config ??= loadWalcatConfig({
      path: configPath,
      env,
      onNotice: (notice) => options.stderr(`walcat: notice: ${notice}`),
    });
    return config;
  };
  let adapters: AdapterSet | undefined;
  const adapterSet = (): AdapterSet => {
    adapters ??= local
      ? localAdapterSet({ config: loadConfig(), stack: local, region })
      : createAdapterSet({
          config: loadConfig(),
          endpoints: runtime.endpoints,
          ...(runtime.hostCommandsLogGroup ? { commandLogGroup: runtime.hostCommandsLogGroup } : {}),
        });
    return adapters;
  };
  const catalog = () => adapterSet().catalog();
  const objects = () => adapterSet().objectStore();
  const color = options.color ?? false;
  const readers = bucketReaders(endpoints, catalog);
  const { lifecycleFindings } = readers;

  const commands: CliCommand[] = [
    initCommand({ catalog }),
    syncCommand({ catalog, objectStore: objects, decompress: historyTextOrUndefined }),
    backupsCommand({ catalog }),
    walCommand({ catalog }),
    gapsCommand({ catalog, color, lifecycleFindings }),
    windowCommand({ catalog, color }),
    statusCommand({
      catalog,
      alerts: () => adapterSet().alerts(),
      color,
      lifecycleFindings,
    }),
    retentionPlanCommand({
      catalog,
      objects,
      serviceClock: objects,
      plans: () => adapterSet().plans(),
      inspector: readers.inspector,
    }),
    retentionApplyCommand({ catalog, objects, serviceClock: objects, plans: () => adapterSet().plans() }),
    backupCommand({ hostCommands: () => adapterSet().hostCommands() }),
    jobsCommand({ jobs: () => adapterSet().hostCommands().jobs, restoreJobs: () => adapterSet().restore().jobs }),
    restorePlanCommand({ catalog }),
    restoreStartCommand({ restore: () => adapterSet().restore(), localScratch: () => local?.scratch }),
    drillCommand({ drill: () => adapterSet().drill() }),
    restoreStatusCommand({ jobs: () => adapterSet().restore().jobs }),
    doctorCommand({
      catalog,
      inspector: readers.inspector,
      queues: readers.queues,
      instances: () => adapterSet().restore().instances,
    }),
    localCommand(),
  ];
  return {
    commands,
    config: async () => loadConfig(),
    close: () => {
      adapters?.close();
      readers.close();
    },
    describeUnreachable: (error) =>
      describeUnreachable(
        error,
        endpoints,
        local && {
          infoFile: join(localStackDir(env), 'stack.json'),
          pid: local.pid,
          alive: processAlive(local.pid),
        },
      ),
  };
}
