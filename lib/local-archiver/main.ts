import { InvalidInputError } from '../domain/errors.ts';
import { NotInArchiveError, UsageError } from './archive-errors.ts';
import { loadLocalArchiverConfig } from './config.ts';

export const USAGE = `wal-g-local: DEVELOPMENT AND TEST TOOL, a stand-in for wal-g where wal-g cannot be installed.
Writes and reads WAL-G's bucket layout (brotli, .br) so tests and the local stack get real buckets from a real
PostgreSQL. Not for production: walcat drives the real wal-g on database hosts.

usage:
  wal-g-local wal-push <path>                     archive_command: upload wal_005/<name>.br
  wal-g-local wal-fetch <walname> <destination>   restore_command: exit 1 when the archive lacks it
  wal-g-local backup-push <pgdata> [--permanent]  pg_basebackup into basebackups_005/base_<start WAL file>
  wal-g-local backup-fetch <pgdata> <name|LATEST> restore into an empty or new directory
  wal-g-local backup-list [--json]                completed backups, oldest first

environment: WALG_S3_PREFIX=s3://bucket/prefix (required), AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL,
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, PGHOST, PGPORT, PGUSER, WALG_PG_BIN (directory of
  pg_basebackup and psql), WALG_TAR_SIZE_THRESHOLD (bytes per data tar, default 1 GiB).
exit codes: 0 success; 1 not in the archive, a refused overwrite or another failure; 2 usage, configuration or
  an invalid WAL name;
  126 wal-fetch failed for another reason than absence (PostgreSQL then aborts recovery instead of ending it).
`;

/** Exit code of a wal-fetch that failed for another reason than absence (see USAGE). */
export const WAL_FETCH_FAILED = 126;

export interface Output {
  write(text: string): void;
}

export interface MainOptions {
  /** Environment to read the settings from; absent means this process's environment (read in config.ts). */
  readonly env?: NodeJS.ProcessEnv;
  readonly stdout?: Output;
  readonly stderr?: Output;
}

function expectArgs(args: readonly string[], count: number, command: string): string[] {
  if (args.length !== count) throw new UsageError(`${command} takes ${count} argument(s), got ${args.length}`);
  return [...args];
}

/** Runs one wal-g-local command; returns the exit code. */
export async function main(argv: readonly string[], options: MainOptions = {}): Promise<number> {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const [command, ...rest] = argv;
  const flags = new Set(rest.filter((arg) => arg.startsWith('--')));
  const args = rest.filter((arg) => !arg.startsWith('--'));
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    stdout.write(USAGE);
    return command === undefined ? 2 : 0;
  }
  try {
    const allowed: Record<string, readonly string[]> = {
      'wal-push': [],
      'wal-fetch': [],
      'backup-push': ['--permanent'],
      'backup-fetch': [],
      'backup-list': ['--json'],
    };
    const allowedFlags = allowed[command];
    if (!allowedFlags) throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    const unknownFlag = [...flags].find((flag) => !allowedFlags.includes(flag));
    if (unknownFlag) throw new UsageError(`${command} does not take ${unknownFlag}`);

    const config = loadLocalArchiverConfig(options.env);
    const [{ createArchiverS3Client }, { ArchiveStore }] = await Promise.all([
      import('./s3-client.ts'),
      import('./archive-store.ts'),
    ]);
    const client = createArchiverS3Client(config);
    const store = new ArchiveStore(client, config.bucket, config.prefix);
    try {
      switch (command) {
        case 'wal-push': {
          const [path] = expectArgs(args, 1, command);
          const { walPush } = await import('./wal-push.ts');
          const outcome = await walPush(path as string, store);
          if (outcome === 'already-archived') stderr.write(`wal-g-local: ${path} already archived, identical\n`);
          return 0;
        }
        case 'wal-fetch': {
          const [name, destination] = expectArgs(args, 2, command);
          const { walFetch } = await import('./wal-fetch.ts');
          await walFetch(name as string, destination as string, store);
          return 0;
        }
        case 'backup-push': {
          const [pgData] = expectArgs(args, 1, command);
          const { backupPush } = await import('./backup-push.ts');
          const name = await backupPush(pgData as string, { permanent: flags.has('--permanent') }, store, config);
          stdout.write(`${name}\n`);
          return 0;
        }
        case 'backup-fetch': {
          const [destination, name] = expectArgs(args, 2, command);
          const { backupFetch } = await import('./backup-fetch.ts');
          stdout.write(`${await backupFetch(destination as string, name as string, store)}\n`);
          return 0;
        }
        default: {
          expectArgs(args, 0, command);
          const { backupList } = await import('./backup-list.ts');
          stdout.write(await backupList(store, flags.has('--json')));
          return 0;
        }
      }
    } finally {
      client.destroy();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    stderr.write(`wal-g-local ${command}: ${message}\n`);
    if (error instanceof UsageError) {
      stderr.write(USAGE);
      return 2;
    }
    // Configuration and argument mistakes (a bad WAL name too: PostgreSQL never passes one) are not retryable.
    if (error instanceof InvalidInputError) return 2;
    if (error instanceof NotInArchiveError) return 1;
    // PostgreSQL reads restore_command exit codes up to 125 as "not in the archive" and would end recovery early
    // on a network error; above 125 it aborts recovery instead, which is the safe reading of a failed fetch.
    return command === 'wal-fetch' ? WAL_FETCH_FAILED : 1;
  }
}
