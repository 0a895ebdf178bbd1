/**
 * The CLI's door: resolves where the config and the AWS endpoints come from (`--config`, `--local`, the
 * environment) and lists the commands, each with a loader that imports the command's module and the adapters it
 * needs when that command runs. In the bundle (scripts/build-cli.mjs) each dynamic import is a chunk of its own, so
 * `walcat status` loads the DynamoDB client alone (no S3, SSM or SQS client), and `walcat help` loads no client.
 * Commands that only read the catalog get the stores from lib/wiring/storage-adapters.ts; those that read or change
 * buckets get them with the bucket adapters of lib/wiring/s3-adapters.ts; commands that reach hosts or queues get the
 * whole adapter set (lib/wiring), all built on first use.
 */
import { join } from 'node:path';
import type { AwsEndpoints } from '../config/aws-endpoints.ts';
import { loadWalcatConfig, readRuntimeEnvironment } from '../config/config.ts';
import { localStackDir, readLocalStackInfo, wantsLocalStack } from '../config/config-local-stack.ts';
import type { WalcatConfig } from '../domain/cluster.ts';
import type { AdapterSet } from '../wiring/adapter-set.ts';
import { localEndpoints } from '../wiring/local-endpoints.ts';
import type { StorageAdapters } from '../wiring/storage-adapters.ts';
import type { BucketReaders } from './bucket-readers.ts';
import type { CliCommand } from './cli-command.ts';
import { describeUnreachable } from './unreachable-service.ts';

type Environment = Readonly<Record<string, string | undefined>>;

/** A command by name, and how to get it: its module and adapters are imported only when it is the one that runs. */
export interface CommandEntry {
  readonly name: string;
  load(): Promise<CliCommand>;
}

export interface CliRuntime {
  readonly commands: readonly CommandEntry[];
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
  // Built on first use by a command's adapter getter (never at load, so `walcat <command> --help` needs no config).
  let catalogOnly: StorageAdapters | undefined;
  let storage: StorageAdapters | undefined;
  let adapters: AdapterSet | undefined;
  let readers: BucketReaders | undefined;
  // Commands that only read the catalog get the stores without the S3 factory: no S3 client is loaded before they
  // answer (`status` at a cold start), and asking them for a bucket adapter would be a ConfigError naming it.
  const withCatalog = async () => {
    const { createStorageAdapters } = await import('../wiring/storage-adapters.ts');
    return () => {
      catalogOnly ??= createStorageAdapters({ config: loadConfig(), endpoints });
      return catalogOnly;
    };
  };
  const withStorage = async () => {
    const [{ createStorageAdapters }, { createS3Adapters }] = await Promise.all([
      import('../wiring/storage-adapters.ts'),
      import('../wiring/s3-adapters.ts'),
    ]);
    return () => {
      storage ??= createStorageAdapters({ config: loadConfig(), endpoints, s3: createS3Adapters });
      return storage;
    };
  };
  // `restore start --thaw` and `drill` thaw frozen objects, so the CLI's adapter set has the S3 adapters too.
  const withAdapterSet = async () => {
    const [
      { createAdapterSet },
      { localAdapterSet },
      { createS3AdaptersWithThaw },
      { createSsmAdapters },
      { createSqsAdapters },
    ] = await Promise.all([
      import('../wiring/adapter-set.ts'),
      import('../wiring/local-adapter-set.ts'),
      import('../wiring/s3-adapters.ts'),
      import('../wiring/ssm-adapters.ts'),
      import('../wiring/sqs-adapters.ts'),
    ]);
    return () => {
      adapters ??= local
        ? localAdapterSet({ config: loadConfig(), stack: local, region })
        : createAdapterSet({
            config: loadConfig(),
            endpoints: runtime.endpoints,
            s3: createS3AdaptersWithThaw,
            ssm: createSsmAdapters,
            sqs: createSqsAdapters,
            ...(runtime.hostCommandsLogGroup ? { commandLogGroup: runtime.hostCommandsLogGroup } : {}),
          });
      return adapters;
    };
  };
  const withBucketReaders = async () => {
    const { bucketReaders } = await import('./bucket-readers.ts');
    return () => {
      readers ??= bucketReaders(endpoints);
      return readers;
    };
  };
  const color = options.color ?? false;

  const loaders: Record<string, () => Promise<CliCommand>> = {
    init: async () => {
      const [{ initCommand }, store] = await Promise.all([import('./commands/init.ts'), withCatalog()]);
      return initCommand({ catalog: () => store().catalog(), jobs: () => store().jobs() });
    },
    sync: async () => {
      const [{ syncCommand }, store, { historyTextOrUndefined }] = await Promise.all([
        import('./commands/sync.ts'),
        withStorage(),
        import('../domain/wal/history-file-content.ts'),
      ]);
      return syncCommand({
        catalog: () => store().catalog(),
        objectStore: () => store().objectStore(),
        decompress: historyTextOrUndefined,
        inspector: () => store().inspector(),
      });
    },
    backups: async () => {
      const [{ backupsCommand }, store] = await Promise.all([import('./commands/backups.ts'), withCatalog()]);
      return backupsCommand({ catalog: () => store().catalog() });
    },
    wal: async () => {
      const [{ walCommand }, store] = await Promise.all([import('./commands/wal.ts'), withCatalog()]);
      return walCommand({ catalog: () => store().catalog() });
    },
    gaps: async () => {
      const [{ gapsCommand }, store] = await Promise.all([import('./commands/gaps.ts'), withCatalog()]);
      return gapsCommand({ catalog: () => store().catalog(), color });
    },
    window: async () => {
      const [{ windowCommand }, store] = await Promise.all([import('./commands/window.ts'), withCatalog()]);
      return windowCommand({ catalog: () => store().catalog(), color });
    },
    status: async () => {
      const [{ statusCommand }, store] = await Promise.all([import('./commands/status.ts'), withCatalog()]);
      return statusCommand({ catalog: () => store().catalog(), alerts: () => store().alerts(), color });
    },
    'retention plan': async () => {
      const [{ retentionPlanCommand }, store] = await Promise.all([
        import('./commands/retention-plan.ts'),
        withStorage(),
      ]);
      return retentionPlanCommand({
        catalog: () => store().catalog(),
        objects: () => store().objectStore(),
        serviceClock: () => store().objectStore(),
        plans: () => store().plans(),
        inspector: () => store().inspector(),
      });
    },
    'retention apply': async () => {
      const [{ retentionApplyCommand }, store] = await Promise.all([
        import('./commands/retention-apply.ts'),
        withStorage(),
      ]);
      return retentionApplyCommand({
        catalog: () => store().catalog(),
        objects: () => store().objectStore(),
        serviceClock: () => store().objectStore(),
        plans: () => store().plans(),
        inspector: () => store().inspector(),
        versions: () => store().objectStore(),
      });
    },
    backup: async () => {
      const [{ backupCommand }, set] = await Promise.all([import('./commands/backup.ts'), withAdapterSet()]);
      return backupCommand({ hostCommands: () => set().hostCommands() });
    },
    jobs: async () => {
      const [{ jobsCommand }, store] = await Promise.all([import('./commands/jobs.ts'), withCatalog()]);
      return jobsCommand({ jobs: () => store().jobs() });
    },
    'restore plan': async () => {
      const [{ restorePlanCommand }, store] = await Promise.all([import('./commands/restore-plan.ts'), withCatalog()]);
      return restorePlanCommand({ catalog: () => store().catalog() });
    },
    'restore start': async () => {
      const [{ restoreStartCommand }, set] = await Promise.all([
        import('./commands/restore-start.ts'),
        withAdapterSet(),
      ]);
      return restoreStartCommand({ restore: () => set().restore(), localScratch: () => local?.scratch });
    },
    'restore status': async () => {
      const [{ restoreStatusCommand }, store] = await Promise.all([
        import('./commands/restore-status.ts'),
        withCatalog(),
      ]);
      return restoreStatusCommand({ jobs: () => store().jobs() });
    },
    drill: async () => {
      const [{ drillCommand }, set] = await Promise.all([import('./commands/drill.ts'), withAdapterSet()]);
      return drillCommand({ drill: () => set().drill() });
    },
    doctor: async () => {
      const [{ doctorCommand }, store, set, readersOf] = await Promise.all([
        import('./commands/doctor.ts'),
        withStorage(),
        withAdapterSet(),
        withBucketReaders(),
      ]);
      return doctorCommand({
        catalog: () => store().catalog(),
        inspector: () => readersOf().inspector(),
        queues: () => readersOf().queues(),
        instances: () => set().restore().instances,
        permissions: () => readersOf().permissions(),
        functionRoles: (stackName) => readersOf().functionRoles(stackName),
        region,
      });
    },
    local: async () => (await import('./commands/local.ts')).localCommand(),
  };
  const commands: CommandEntry[] = Object.entries(loaders).map(([name, load]) => ({ name, load }));
  return {
    commands,
    config: async () => loadConfig(),
    close: () => {
      catalogOnly?.close();
      storage?.close();
      adapters?.close();
      readers?.close();
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
