// biome-ignore-all lint/suspicious/noTemplateCurlyInString: these strings are bash, where ${...} is a parameter expansion.
/**
 * The host scripts of a restore, one per step, built on the shared host-script skeleton (host-script.ts): every value
 * is validated and single-quoted, stdout carries only the `WALCAT_RESULT` line, and each step is idempotent so a
 * resumed job can run it again:
 *
 * | step | effect | when its effect is already there |
 * |---|---|---|
 * | preflight | checks only (wal-g, PostgreSQL major, free space, not a running primary) | always safe |
 * | stop-postgres | stops the server on the target data directory | not running: nothing to do |
 * | move-aside | `mv <pgData> <pgData>.walcat-<job>`: the old data is never deleted | already moved, or pgData is this job's copy |
 * | fetch-backup | `backup-fetch` into `<pgData>.walcat-<job>.fetching`, then renames it to pgData | pgData is this job's copy |
 * | configure-recovery | rewrites walcat's block in postgresql.auto.conf, `recovery.signal` | the block is replaced, not appended twice |
 * | start-postgres | starts the server | already running |
 * | wait-recovery | polls until promoted (or paused) at the target | returns at once |
 * | verify | reads timeline, last replayed commit time, archive_mode; runs the optional SQL check | read-only |
 *
 * The only thing ever removed is this job's own half-fetched staging directory (named after the job), so a failed
 * `backup-fetch` can be retried; the moved-aside data directory is never touched after the rename.
 */
import type { HostSettings } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';
import {
  buildHostScript,
  ENVDIR_LOADER_ONE_LINE,
  HOST_SCRIPT_EXIT,
  HOST_SCRIPT_FUNCTIONS,
  type ScriptStep,
} from '../host/host-script.ts';
import {
  type ShellFragment,
  shell,
  trustedShell,
  validateAbsolutePath,
  validateBackupName,
  validateCommandPath,
} from '../host/shell-quote.ts';
import { formatLsn } from '../wal/lsn.ts';
import type { RestoreTarget } from './restore-target.ts';

/** The steps of a restore, in order. */
export const RESTORE_STEPS = [
  'preflight',
  'stop-postgres',
  'move-aside',
  'fetch-backup',
  'configure-recovery',
  'start-postgres',
  'wait-recovery',
  'verify',
] as const;
/**
 * The optional last step of an in-place restore that promotes (`--resume-archiving`): turns archive_mode back on,
 * queues the new timeline's history file and its completed segments for the archiver, restarts the server and waits
 * until the archive holds the new timeline up to a fresh segment switch.
 */
export const RESUME_ARCHIVING_STEP = 'resume-archiving';
export type RestoreStepName = (typeof RESTORE_STEPS)[number] | typeof RESUME_ARCHIVING_STEP;

/** What the step scripts need to know about one restore. */
export interface RestoreScriptInput {
  readonly jobId: string;
  /** The host settings of the target host (the cluster's own for in-place, the drill's or a new host's otherwise). */
  readonly host: HostSettings;
  readonly baseBackup: string;
  readonly target: RestoreTarget;
  /** `recovery_target_timeline`: the planned timeline, or `latest` when restoring to the end of the archive. */
  readonly timeline: number | 'latest';
  readonly action: 'promote' | 'pause';
  /** server_version_num of the backup (150004); the host's server binaries must have the same major version. */
  readonly pgVersion?: number;
  /** Uncompressed size of the backup: the free space the data directory's file system must have. */
  readonly requiredBytes?: number;
  /** Restoring onto the cluster's own host: a running primary there is expected and is stopped. */
  readonly inPlace: boolean;
  /**
   * A server running on the data directory may be stopped and replaced when it is an earlier walcat restored copy
   * (its data directory holds a `.walcat-restore-*` marker): how scheduled drills reuse their scratch host.
   */
  readonly replaceRestoredCopy?: boolean;
  /** Optional SQL whose first value must not be false/f/0/empty after the restore. */
  readonly checkSql?: string;
  /** More settings for the restored copy (e.g. `port` on a scratch host), written as quoted conf strings. */
  readonly extraSettings?: Readonly<Record<string, string>>;
  /** How long wait-recovery polls before giving up (seconds). */
  readonly recoveryTimeoutSeconds: number;
  /** Run pg_amcheck over every database of the restored copy in verify (drills). */
  readonly amcheck?: boolean;
  /** How long resume-archiving waits for the archiver (seconds); default 300. */
  readonly archiveTimeoutSeconds?: number;
}

/** `<pgData>.walcat-<jobId>`: where the previous data directory is kept. */
export function movedAsidePath(pgData: string, jobId: string): string {
  return `${pgData.replace(/\/+$/u, '')}.walcat-${jobId}`;
}

/** The marker file that makes a data directory "this job's restored copy". */
export function restoredMarkerName(jobId: string): string {
  return `.walcat-restore-${jobId}`;
}

/**
 * `<pgData>.walcat-run`: the restored copy's own folder, created by preflight (owned by the OS user, which preflight
 * checks can write it): its server log and, unless a setting names another, its unix socket directory.
 */
export function restoreRunDirectory(pgData: string): string {
  return `${pgData.replace(/\/+$/u, '')}.walcat-run`;
}

/** Server log written by pg_ctl for restores on `pg_ctl:` hosts: `<run directory>/<jobId>.log`. */
export function restoreLogPath(pgData: string, jobId: string): string {
  return `${restoreRunDirectory(pgData)}/${jobId}.log`;
}

/** The range a restored copy's port is chosen from when no `port` setting is given. */
export const COPY_PORT_RANGE = { from: 5433, to: 5532 } as const;

/** The message PostgreSQL stops with when the archive ends before the recovery target. */
export const TARGET_NOT_REACHED_MESSAGE = 'recovery ended before configured recovery target was reached';

const JOB_ID = /^[a-z0-9][a-z0-9-]{0,63}$/u;
const SETTING_NAME = /^[a-z][a-z0-9_.]{0,62}$/u;
/** Settings the restore itself owns; a request cannot override them. */
const RESERVED_SETTINGS = new Set([
  'restore_command',
  'recovery_target',
  'recovery_target_time',
  'recovery_target_lsn',
  'recovery_target_name',
  'recovery_target_xid',
  'recovery_target_action',
  'recovery_target_timeline',
  'recovery_target_inclusive',
  'archive_mode',
  'archive_command',
  'archive_library',
]);

/**
 * Quotes a value as a postgresql.conf string: `'...'` with `'` doubled and `\` escaped (the conf parser reads
 * backslash escapes inside quotes).
 *
 * @example postgresConfString("it's") === "'it''s'"
 * @throws InvalidInputError for a value with a line break or NUL.
 */
export function postgresConfString(value: string): string {
  // The conf lexer ends a quoted string at a line break, so such a value cannot be written at all.
  if (value.includes('\n') || value.includes('\r') || value.includes('\u0000')) {
    throw new InvalidInputError(
      `setting value ${JSON.stringify(value.slice(0, 60))} contains a line break or NUL, which postgresql.conf cannot hold; remove it`,
    );
  }
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * A time as recovery_target_time accepts it: PostgreSQL refuses the ISO `T...Z` form there ("invalid value for
 * parameter"), so it gets `YYYY-MM-DD HH:MM:SS.mmm+00`.
 *
 * @example postgresTimestamp(new Date('2026-11-20T14:30:00.250Z')) === '2026-11-20 14:30:00.250+00'
 */
export function postgresTimestamp(time: Date): string {
  return time.toISOString().replace('T', ' ').replace(/Z$/u, '+00');
}

/** Shell-quotes a word for a restore_command, with `%` doubled so PostgreSQL's `%f`/`%p` expansion leaves it. */
function restoreCommandWord(value: string): string {
  return shell`${value}`.text.replaceAll('%', '%%');
}

/**
 * The `restore_command` of the restored copy: `<wal-g> wal-fetch "%f" "%p"`, every word quoted; with `walgEnvDir`,
 * WAL-G runs under daemontools' `envdir` when the host has it and under the same built-in loader as every other
 * host script when it has not (checked at each fetch: PostgreSQL runs this long after the restore script).
 *
 * @example restoreCommand({ ...host, walgEnvDir: undefined }) === `'wal-g' wal-fetch "%f" "%p"`
 */
export function restoreCommand(host: HostSettings): string {
  const walg = restoreCommandWord(validateCommandPath('hosts.walgBinary', host.walgBinary));
  const fetch = `${walg} wal-fetch "%f" "%p"`;
  if (host.walgEnvDir === undefined) return fetch;
  const envDir = restoreCommandWord(validateAbsolutePath('hosts.walgEnvDir', host.walgEnvDir));
  const loader = restoreCommandWord(ENVDIR_LOADER_ONE_LINE);
  return `if command -v envdir >/dev/null 2>&1; then envdir ${envDir} ${fetch}; else /bin/bash -c ${loader} walcat-envdir ${envDir} ${fetch}; fi`;
}

/**
 * The recovery settings walcat writes for a restore, in order: restore_command, the target, the action, the
 * timeline, `archive_mode = off` (a restored copy must not archive a new timeline into the live cluster's archive
 * until an operator re-enables it), then the request's extra settings.
 *
 * @example recoverySettings(input)[1] // ['recovery_target_time', '2026-11-20T14:30:00.000Z']
 */
export function recoverySettings(input: RestoreScriptInput): ReadonlyArray<readonly [string, string]> {
  const target: Array<[string, string]> = [];
  switch (input.target.kind) {
    case 'time':
      target.push(['recovery_target_time', postgresTimestamp(input.target.time)]);
      break;
    case 'lsn':
      target.push(['recovery_target_lsn', formatLsn(input.target.lsn)]);
      break;
    case 'name':
      target.push(['recovery_target_name', input.target.name]);
      break;
    case 'xid':
      target.push(['recovery_target_xid', input.target.xid.toString()]);
      break;
    case 'latest':
      break;
  }
  const extra = Object.entries(input.extraSettings ?? {}).map(([name, value]): [string, string] => {
    if (!SETTING_NAME.test(name) || RESERVED_SETTINGS.has(name)) {
      throw new InvalidInputError(
        `restore setting ${JSON.stringify(name)} is not allowed: use a lower-case PostgreSQL setting name other than ${[...RESERVED_SETTINGS].join(', ')}`,
      );
    }
    return [name, value];
  });
  return [
    ['restore_command', restoreCommand(input.host)],
    ...target,
    // With no target PostgreSQL replays to the end of the archive and promotes; the action only applies to a target.
    ...(input.target.kind === 'latest' ? [] : [['recovery_target_action', input.action] as [string, string]]),
    ['recovery_target_timeline', String(input.timeline)],
    ['archive_mode', 'off'],
    ...extra,
  ];
}

/**
 * A copy restored into another data directory must not inherit the primary's `port` and `unix_socket_directories`
 * from the backup: unless the request sets them, its socket goes into its run directory, and its port is chosen
 * free on the host by configure-recovery ({@link COPY_PORT_RANGE}). An in-place restore keeps the cluster's own.
 *
 * @example copyListenSettings({ ...input, inPlace: false }) // { socketDir: '/srv/copy.walcat-run', choosePort: true }
 */
export function copyListenSettings(input: RestoreScriptInput): { socketDir?: string; choosePort: boolean } {
  if (input.inPlace) return { choosePort: false };
  const extra = input.extraSettings ?? {};
  return {
    ...(extra.unix_socket_directories === undefined
      ? { socketDir: restoreRunDirectory(input.host.pgData.replace(/(.)\/+$/u, '$1')) }
      : {}),
    choosePort: extra.port === undefined,
  };
}

/**
 * The block appended to postgresql.auto.conf, between markers that name the job so a rerun replaces it. A port
 * chosen on the host is added by the script just before `end`.
 */
export function recoveryConfBlock(input: RestoreScriptInput): { begin: string; end: string; text: string } {
  const begin = `# walcat restore ${input.jobId}: begin`;
  const end = `# walcat restore ${input.jobId}: end`;
  const listen = copyListenSettings(input);
  const settings: ReadonlyArray<readonly [string, string]> = [
    ...recoverySettings(input),
    ...(listen.socketDir === undefined ? [] : [['unix_socket_directories', listen.socketDir] as const]),
  ];
  const lines = settings.map(([name, value]) => `${name} = ${postgresConfString(value)}`);
  return { begin, end, text: `${[begin, ...lines, end].join('\n')}\n` };
}

interface Paths {
  readonly pgData: string;
  readonly aside: string;
  readonly staging: string;
  readonly marker: string;
  readonly runDir: string;
  readonly logFile: string;
}

function paths(input: RestoreScriptInput): Paths {
  if (!JOB_ID.test(input.jobId)) {
    throw new InvalidInputError(`restore job id ${JSON.stringify(input.jobId)} must match [a-z0-9][a-z0-9-]*`);
  }
  const pgData = validateAbsolutePath('hosts.pgData', input.host.pgData.replace(/(.)\/+$/u, '$1'));
  if (pgData === '/') throw new InvalidInputError('hosts.pgData: / cannot be a data directory');
  return {
    pgData,
    aside: movedAsidePath(pgData, input.jobId),
    staging: `${movedAsidePath(pgData, input.jobId)}.fetching`,
    marker: `${pgData}/${restoredMarkerName(input.jobId)}`,
    runDir: restoreRunDirectory(pgData),
    logFile: restoreLogPath(pgData, input.jobId),
  };
}

const { fail, psql, walg, asOsUser, withWalgEnv } = HOST_SCRIPT_FUNCTIONS;
const EXIT = HOST_SCRIPT_EXIT;

/**
 * `walcat_copy_psql args...`: psql against the server running on this job's data directory, found through its
 * `postmaster.pid` (line 4 the port, line 5 the first socket directory, line 6 the first listen address). The env
 * dir's PGHOST/PGPORT name the cluster's primary, never the copy, so they are overridden with `-h`/`-p`.
 */
function copyPsqlDefinition(p: Paths): ShellFragment {
  return joinLines([
    trustedShell('walcat_copy_psql() {'),
    shell`  local walcat_pid_file=${`${p.pgData}/postmaster.pid`} walcat_copy_port walcat_copy_host`,
    trustedShell('  walcat_copy_port=$(sed -n 4p "$walcat_pid_file" | tr -cd 0-9)'),
    trustedShell('  walcat_copy_host=$(sed -n 5p "$walcat_pid_file")'),
    trustedShell(
      '  if [[ -z $walcat_copy_host ]]; then walcat_copy_host=$(sed -n 6p "$walcat_pid_file"); [[ -n $walcat_copy_host && $walcat_copy_host != "*" ]] || walcat_copy_host=localhost; fi',
    ),
    trustedShell(`  ${psql.text} -h "$walcat_copy_host" -p "$walcat_copy_port" "$@"`),
    trustedShell('}'),
  ]);
}

/** `walcat_running` becomes 1 when a server runs on the data directory (pg_ctl status / systemctl is-active). */
function runningCheck(input: RestoreScriptInput, pgData: string): ShellFragment {
  const service = input.host.service;
  if (service.kind === 'systemd') {
    return shell`if systemctl is-active --quiet ${service.unit}; then walcat_running=1; else walcat_running=0; fi`;
  }
  const pgCtl = `${validateAbsolutePath('hosts.service', service.binDir).replace(/\/+$/u, '')}/pg_ctl`;
  return shell`if [[ -d ${pgData} ]] && ${asOsUser} ${pgCtl} status -D ${pgData} >/dev/null 2>&1; then walcat_running=1; else walcat_running=0; fi`;
}

function serverBinaryCandidates(input: RestoreScriptInput): string[] {
  const service = input.host.service;
  const major = input.pgVersion === undefined ? undefined : Math.floor(input.pgVersion / 10000);
  if (service.kind === 'pg_ctl') return [`${service.binDir.replace(/\/+$/u, '')}/postgres`];
  return major === undefined ? [] : [`/usr/lib/postgresql/${major}/bin/postgres`, `/usr/pgsql-${major}/bin/postgres`];
}

function preflight(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const major = input.pgVersion === undefined ? 0 : Math.floor(input.pgVersion / 10000);
  const required = Math.ceil(input.requiredBytes ?? 0);
  const parent = p.pgData.slice(0, p.pgData.lastIndexOf('/')) || '/';
  const candidates = serverBinaryCandidates(input);
  const walgBinary = validateCommandPath('hosts.walgBinary', input.host.walgBinary);
  const earlierCopy =
    input.replaceRestoredCopy === true
      ? shell` && -z $(compgen -G ${`${p.pgData}/.walcat-restore-*`} || true)`
      : trustedShell('');
  const refusePrimary = input.inPlace
    ? trustedShell(':')
    : shell`if [[ $walcat_running == 1 && $walcat_in_recovery != t && ! -f ${p.marker}${earlierCopy} ]]; then echo ${`walcat: a PostgreSQL server is running on ${p.pgData} and is not a standby; refusing to restore over a running primary (stop it, choose another host, or restore in place with --in-place)`}; ${fail} ${EXIT.preconditionFailed}; fi`;
  return [
    {
      kind: 'shell',
      name: 'check-wal-g',
      failureExitCode: EXIT.preconditionFailed,
      fragment: shell`if ! command -v ${walgBinary} >/dev/null 2>&1; then echo ${`walcat: wal-g (${walgBinary}) is not installed or not executable on this host`}; ${fail} ${EXIT.preconditionFailed}; fi`,
    },
    {
      kind: 'shell',
      name: 'check-version',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        trustedShell('walcat_pg_major=0'),
        shell`for walcat_candidate in ${candidates}; do if [[ -x $walcat_candidate ]]; then walcat_pg_major=$("$walcat_candidate" -V | sed -E 's/^[^0-9]*([0-9]+).*/\\1/'); break; fi; done`,
        shell`if [[ ${integer(major)} != 0 && $walcat_pg_major != ${integer(major)} ]]; then printf ${'walcat: the backup needs PostgreSQL %s server binaries; this host has major version %s\n'} ${integer(major)} "$walcat_pg_major"; ${fail} ${EXIT.preconditionFailed}; fi`,
      ]),
    },
    {
      kind: 'shell',
      name: 'check-disk',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        shell`walcat_free=$(df -P -B1 ${parent} | awk 'NR==2 {print $4}')`,
        shell`if (( walcat_free < ${integer(required)} )); then printf ${'walcat: %s has %s bytes free; the backup needs %s bytes uncompressed; free space or restore onto a larger volume\n'} ${parent} "$walcat_free" ${integer(required)}; ${fail} ${EXIT.preconditionFailed}; fi`,
      ]),
    },
    {
      kind: 'shell',
      name: 'check-run-dir',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        shell`if [[ ! -d ${p.runDir} ]]; then mkdir -m 750 -- ${p.runDir}; chown -- "$WALCAT_OS_USER": ${p.runDir}; fi`,
        shell`if ! ${asOsUser} test -w ${p.runDir} -a -x ${p.runDir}; then echo ${`walcat: ${p.runDir} (the restored copy's log and socket folder) is not writable by ${input.host.osUser}; give it to that user (chown ${input.host.osUser} ${p.runDir}) or choose another data directory`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        // A unix socket path holds at most 107 bytes (.s.PGSQL.<port> included).
        ...(copyListenSettings(input).socketDir === undefined
          ? []
          : [
              shell`if (( ${integer(p.runDir.length + 15)} > 107 )); then echo ${`walcat: the socket path under ${p.runDir} would be longer than 107 bytes; pass --setting unix_socket_directories=<short dir>`}; ${fail} ${EXIT.preconditionFailed}; fi`,
            ]),
      ]),
    },
    {
      kind: 'shell',
      name: 'check-not-primary',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        copyPsqlDefinition(p),
        runningCheck(input, p.pgData),
        trustedShell('walcat_in_recovery=unknown'),
        trustedShell(
          `if [[ $walcat_running == 1 ]]; then walcat_in_recovery=$(trap - ERR; walcat_copy_psql -c 'select pg_is_in_recovery()' 2>/dev/null || echo unknown); fi`,
        ),
        refusePrimary,
      ]),
    },
    {
      kind: 'shell',
      name: 'report',
      fragment: trustedShell(
        'walcat_var_result=$(printf \'{"pgMajor":%d,"freeBytes":%d,"wasRunning":%s}\' "${walcat_pg_major:-0}" "${walcat_free:-0}" "$([[ $walcat_running == 1 ]] && echo true || echo false)")',
      ),
    },
  ];
}

/** A non-negative integer pasted as a bare word (safe: digits only). */
function integer(value: number): ShellFragment {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidInputError(`restore script: ${value} is not a non-negative integer`);
  }
  return trustedShell(String(value));
}

function stopPostgres(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const service = input.host.service;
  const stop =
    service.kind === 'systemd'
      ? shell`systemctl stop ${service.unit}`
      : shell`${asOsUser} ${`${service.binDir.replace(/\/+$/u, '')}/pg_ctl`} stop -D ${p.pgData} -m fast -w -t 300`;
  return [
    {
      kind: 'shell',
      name: 'stop',
      fragment: joinLines([
        runningCheck(input, p.pgData),
        shell`if [[ $walcat_running == 1 ]]; then ${stop}; fi`,
        trustedShell(
          'walcat_var_result=$(printf \'{"wasRunning":%s}\' "$([[ $walcat_running == 1 ]] && echo true || echo false)")',
        ),
      ]),
    },
  ];
}

function moveAside(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  return [
    {
      kind: 'shell',
      name: 'move-aside',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        runningCheck(input, p.pgData),
        shell`if [[ $walcat_running == 1 ]]; then echo ${`walcat: PostgreSQL still runs on ${p.pgData}; the stop step must succeed first`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        trustedShell('walcat_moved=false'),
        shell`if [[ -f ${p.marker} ]]; then :`,
        shell`elif [[ -e ${p.pgData} && -e ${p.aside} ]]; then echo ${`walcat: both ${p.pgData} and ${p.aside} exist; move one of them away by hand before resuming`}; ${fail} ${EXIT.preconditionFailed}`,
        shell`elif [[ -e ${p.pgData} ]]; then mv -T -- ${p.pgData} ${p.aside}; walcat_moved=true; fi`,
        shell`if [[ -e ${p.aside} ]]; then walcat_aside_exists=true; else walcat_aside_exists=false; fi`,
        trustedShell(
          'walcat_var_result=$(printf \'{"movedAside":%s,"asideExists":%s}\' "$walcat_moved" "$walcat_aside_exists")',
        ),
      ]),
    },
  ];
}

function fetchBackup(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const backup = validateBackupName('baseBackup', input.baseBackup);
  return [
    {
      kind: 'shell',
      name: 'prepare',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        trustedShell('walcat_fetched=false'),
        shell`if [[ ! -f ${p.marker} ]]; then`,
        shell`  if [[ -e ${p.pgData} ]]; then echo ${`walcat: ${p.pgData} exists and is not this restore's copy; the move-aside step must succeed first`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        // Only this job's own half-fetched staging directory is ever removed, so a failed fetch can be retried.
        shell`  rm -rf -- ${p.staging}`,
        shell`  mkdir -m 700 -- ${p.staging}`,
        shell`  chown -- "$WALCAT_OS_USER": ${p.staging}`,
        trustedShell('fi'),
      ]),
    },
    {
      kind: 'shell',
      name: 'backup-fetch',
      fragment: joinLines([
        shell`if [[ ! -f ${p.marker} ]]; then`,
        shell`  ${walg} backup-fetch ${p.staging} ${backup}`,
        shell`  ${asOsUser} touch -- ${`${p.staging}/${restoredMarkerName(input.jobId)}`}`,
        shell`  chmod 700 -- ${p.staging}`,
        shell`  mv -T -- ${p.staging} ${p.pgData}`,
        trustedShell('  walcat_fetched=true'),
        trustedShell('fi'),
        trustedShell('walcat_var_result=$(printf \'{"fetched":%s}\' "$walcat_fetched")'),
      ]),
    },
  ];
}

function configureRecovery(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const block = recoveryConfBlock(input);
  const conf = `${p.pgData}/postgresql.auto.conf`;
  const next = `${conf}.walcat-next`;
  const listen = copyListenSettings(input);
  const body = block.text.slice(0, block.text.length - block.end.length - 1);
  const socketDirs = [p.runDir, '/var/run/postgresql', '/run/postgresql', '/tmp'];
  // A rerun keeps the port chosen the first time (it is in this job's block); otherwise the first port of the range
  // with no TCP listener (/proc/net/tcp, tcp6: state 0A) and no socket file in the usual socket directories.
  const choosePort = listen.choosePort
    ? [
        shell`walcat_port=$(if [[ -f ${conf} ]]; then awk -v begin=${block.begin} -v end=${block.end} '$0 == begin { inside = 1 } $0 == end { inside = 0 } inside && /^port = / { gsub(/[^0-9]/, ""); print }' ${conf}; fi | tail -n 1)`,
        shell`if [[ -z $walcat_port ]]; then for (( walcat_candidate = ${integer(COPY_PORT_RANGE.from)}; walcat_candidate <= ${integer(COPY_PORT_RANGE.to)}; walcat_candidate++ )); do`,
        trustedShell(
          '  walcat_hex=$(printf \':%04X\' "$walcat_candidate"); if cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk \'$4 == "0A" { print $2 }\' | grep -q -- "$walcat_hex$"; then continue; fi',
        ),
        shell`  for walcat_socket_dir in ${socketDirs}; do if [[ -e $walcat_socket_dir/.s.PGSQL.$walcat_candidate ]]; then continue 2; fi; done`,
        trustedShell('  walcat_port=$walcat_candidate; break'),
        trustedShell('done; fi'),
        shell`if [[ -z $walcat_port ]]; then echo ${`walcat: no free port from ${COPY_PORT_RANGE.from} to ${COPY_PORT_RANGE.to} for the restored copy; pass --setting port=<free port>`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        shell`printf '%s' ${body} >> ${next}`,
        trustedShell(`printf "port = '%s'\\n" "$walcat_port" >> ${shell`${next}`.text}`),
        shell`printf '%s\n' ${block.end} >> ${next}`,
      ]
    : [shell`printf '%s' ${block.text} >> ${next}`];
  return [
    ...(input.inPlace ? [] : baseConfigFiles(p)),
    {
      kind: 'shell',
      name: 'write-settings',
      fragment: joinLines([
        shell`if [[ ! -f ${p.marker} ]]; then echo ${`walcat: ${p.pgData} is not this restore's copy; the fetch step must succeed first`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        ...(listen.choosePort ? choosePort.slice(0, 7) : []),
        shell`if [[ -f ${conf} ]]; then awk -v begin=${block.begin} -v end=${block.end} '$0 == begin { skip = 1 } !skip { print } $0 == end { skip = 0 }' ${conf} > ${next}; else : > ${next}; fi`,
        ...(listen.choosePort ? choosePort.slice(7) : choosePort),
        shell`chown -- "$WALCAT_OS_USER": ${next}`,
        shell`chmod 600 -- ${next}`,
        shell`mv -T -- ${next} ${conf}`,
        shell`${asOsUser} touch -- ${`${p.pgData}/recovery.signal`}`,
        listen.choosePort
          ? trustedShell('walcat_var_result=$(printf \'{"port":%d}\' "$walcat_port")')
          : trustedShell('walcat_var_result=null'),
      ]),
    },
  ];
}

/**
 * The minimal configuration files a copy gets when the backup has none. A server that keeps its configuration outside
 * the data directory (Debian: `/etc/postgresql/<major>/<cluster>/postgresql.conf`, `pg_hba.conf`, `pg_ident.conf`)
 * backs up a data directory without them, and a copy in another directory, started with `pg_ctl -D`, would not
 * start. Each file is written only when absent (the backup's own files are never replaced), and the step output
 * says which were written. walcat's settings for the copy (port, socket, recovery) stay in postgresql.auto.conf.
 */
export const BASE_CONFIG_FILES: readonly { readonly name: string; readonly text: string }[] = [
  {
    name: 'postgresql.conf',
    text: [
      '# Written by walcat: the backup has no postgresql.conf (its server kept it outside the data directory, as',
      "# Debian does in /etc/postgresql). PostgreSQL's defaults apply; walcat's settings for this restored copy",
      '# (port, socket folder, recovery) are in postgresql.auto.conf. Copy your own settings here as needed.',
      '',
    ].join('\n'),
  },
  {
    name: 'pg_hba.conf',
    text: [
      '# Written by walcat: the backup has no pg_hba.conf. Local connections as the same-named OS user only.',
      'local   all   all                  peer',
      'host    all   all   127.0.0.1/32   scram-sha-256',
      'host    all   all   ::1/128        scram-sha-256',
      '',
    ].join('\n'),
  },
  { name: 'pg_ident.conf', text: '# Written by walcat: the backup has no pg_ident.conf (no user name maps).\n' },
];

function baseConfigFiles(p: Paths): ScriptStep[] {
  return [
    {
      kind: 'shell',
      name: 'base-config',
      fragment: joinLines(
        BASE_CONFIG_FILES.map(({ name, text }) => {
          const file = `${p.pgData}/${name}`;
          return shell`if [[ -f ${p.marker} && ! -e ${file} ]]; then printf '%s' ${text} > ${file}; chown -- "$WALCAT_OS_USER": ${file}; chmod 600 -- ${file}; echo ${`walcat: the backup has no ${name} (kept outside the data directory, e.g. in /etc/postgresql); wrote a minimal one to ${file}`}; fi`;
        }),
      ),
    },
  ];
}

function startPostgres(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const service = input.host.service;
  const start =
    service.kind === 'systemd'
      ? shell`systemctl start ${service.unit} 3>&- 4>&-`
      : // fd 3 carries the script's result line and fd 4 is the original stderr; the postmaster must inherit neither,
        // or the command's output would stay open for as long as the server runs and the command would never be seen
        // to end.
        shell`${asOsUser} ${`${service.binDir.replace(/\/+$/u, '')}/pg_ctl`} start -D ${p.pgData} -l ${p.logFile} -w -t 600 3>&- 4>&-`;
  // The log's last lines, then its last FATAL/PANIC lines again, so the job's failure line names the cause.
  const logTail =
    service.kind === 'systemd'
      ? shell`{ journalctl -u ${service.unit} -n 30 --no-pager; journalctl -u ${service.unit} -n 200 --no-pager | grep -E 'FATAL|PANIC' | tail -n 3; } || true`
      : shell`{ tail -n 30 -- ${p.logFile}; grep -E 'FATAL|PANIC' -- ${p.logFile} | tail -n 3; } || true`;
  return [
    {
      kind: 'shell',
      name: 'start',
      fragment: joinLines([
        shell`if [[ ! -f ${p.marker} ]]; then echo ${`walcat: ${p.pgData} is not this restore's copy; earlier steps must succeed first`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        runningCheck(input, p.pgData),
        shell`if [[ $walcat_running == 0 ]]; then if ! (trap - ERR; ${start}); then ${logTail}; ${fail} ${EXIT.toolFailed}; fi; fi`,
      ]),
    },
  ];
}

function waitRecovery(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const service = input.host.service;
  const logGrep =
    service.kind === 'systemd'
      ? shell`{ journalctl -u ${service.unit} -n 500 --no-pager 2>/dev/null; tail -n 500 /var/log/postgresql/*.log 2>/dev/null; } | grep -F -- ${TARGET_NOT_REACHED_MESSAGE}`
      : shell`grep -F -- ${TARGET_NOT_REACHED_MESSAGE} ${p.logFile}`;
  const done =
    input.action === 'promote' || input.target.kind === 'latest'
      ? trustedShell('[[ $walcat_state == f,* ]]')
      : trustedShell('[[ $walcat_state == t,paused ]]');
  const timeout = Math.max(1, Math.floor(input.recoveryTimeoutSeconds));
  return [
    {
      kind: 'shell',
      name: 'wait',
      fragment: joinLines([
        copyPsqlDefinition(p),
        shell`walcat_deadline=$(( SECONDS + ${integer(timeout)} ))`,
        trustedShell('walcat_state=unknown'),
        trustedShell('while :; do'),
        runningCheck(input, p.pgData),
        shell`  if [[ $walcat_running == 0 ]]; then`,
        shell`    if (trap - ERR; ${logGrep}) >/dev/null 2>&1; then echo ${`walcat: PostgreSQL stopped: ${TARGET_NOT_REACHED_MESSAGE} (the archive ends before the target); the restored copy is left stopped at ${p.pgData}`}; ${fail} ${EXIT.toolFailed}; fi`,
        shell`    echo ${`walcat: PostgreSQL stopped during recovery on ${p.pgData}; see its log`}; ${fail} ${EXIT.postgresUnavailable}`,
        trustedShell('  fi'),
        // pg_get_wal_replay_pause_state() raises an error once recovery has ended, so it is asked only during recovery.
        trustedShell(
          `  walcat_state=$(trap - ERR; walcat_copy_psql -c "select case when pg_is_in_recovery() then 't,' || pg_get_wal_replay_pause_state() else 'f,' end" 2>/dev/null || echo unavailable)`,
        ),
        trustedShell(`  if ${done.text}; then break; fi`),
        shell`  if (( SECONDS > walcat_deadline )); then printf ${'walcat: recovery did not reach the target within %s s (state %s)\\n'} ${integer(timeout)} "$walcat_state"; ${fail} ${EXIT.toolFailed}; fi`,
        trustedShell('  sleep 0.5'),
        trustedShell('done'),
        trustedShell(
          'walcat_var_result=$(printf \'{"inRecovery":%s,"pauseState":"%s"}\' "$([[ $walcat_state == t,* ]] && echo true || echo false)" "$(printf %s "${walcat_state#*,}" | tr -cd \'a-z \')")',
        ),
      ]),
    },
  ];
}

const VERIFY_SQL = `select json_build_object(
  'inRecovery', pg_is_in_recovery(),
  'timeline', case when pg_is_in_recovery() then (select timeline_id from pg_control_checkpoint())
    else ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int end,
  'lastReplayTimestamp', pg_last_xact_replay_timestamp(),
  'lastReplayLsn', pg_last_wal_replay_lsn(),
  'serverVersion', current_setting('server_version_num')::int,
  'archiveMode', current_setting('archive_mode'),
  'port', current_setting('port')::int,
  'dataDirectory', current_setting('data_directory'))`;

/** pg_amcheck of the host's server binaries (next to pg_ctl, or the backup's major version's directory). */
function amcheckBinary(input: RestoreScriptInput): string {
  const service = input.host.service;
  if (service.kind === 'pg_ctl') return `${service.binDir.replace(/\/+$/u, '')}/pg_amcheck`;
  const major = input.pgVersion === undefined ? 15 : Math.floor(input.pgVersion / 10000);
  return `/usr/lib/postgresql/${major}/bin/pg_amcheck`;
}

/** A query against the restored copy whose output is kept in `walcat_var_<name>`. */
function copyQuery(name: string, sql: string): ScriptStep {
  return {
    kind: 'shell',
    name,
    failureExitCode: EXIT.postgresUnavailable,
    fragment: shell`walcat_var_${trustedShell(name.replaceAll('-', '_'))}=$(trap - ERR; walcat_copy_psql -c ${sql})`,
  };
}

function verify(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const steps: ScriptStep[] = [
    { kind: 'shell', name: 'define', fragment: copyPsqlDefinition(p) },
    copyQuery('state', VERIFY_SQL),
    trustedResult('walcat_var_result=$walcat_var_state'),
  ];
  if (input.amcheck === true) {
    const amcheck = validateCommandPath('pg_amcheck', amcheckBinary(input));
    steps.push({
      kind: 'shell',
      name: 'amcheck',
      fragment: joinLines([
        // Heap and B-tree checks of every database; --install-missing adds the amcheck extension to the copy.
        trustedShell('walcat_amcheck_status=skipped; walcat_amcheck_code=0'),
        shell`if [[ $walcat_var_state != *'"inRecovery" : true'* ]]; then`,
        shell`  walcat_amcheck_port=$(sed -n 4p ${`${p.pgData}/postmaster.pid`} | tr -cd 0-9); walcat_amcheck_host=$(sed -n 5p ${`${p.pgData}/postmaster.pid`}); [[ -n $walcat_amcheck_host ]] || walcat_amcheck_host=localhost`,
        shell`  if (trap - ERR; ${withWalgEnv} ${amcheck} -h "$walcat_amcheck_host" -p "$walcat_amcheck_port" --all --install-missing); then walcat_amcheck_status=passed; else walcat_amcheck_code=$?; walcat_amcheck_status=failed; fi`,
        trustedShell('fi'),
        trustedShell(
          'walcat_var_result="${walcat_var_result%\\}},\\"amcheck\\":{\\"status\\":\\"$walcat_amcheck_status\\",\\"exitCode\\":$walcat_amcheck_code}}"',
        ),
      ]),
    });
  }
  if (input.checkSql === undefined) return steps;
  steps.push(copyQuery('check', input.checkSql));
  steps.push({
    kind: 'shell',
    name: 'check-result',
    fragment: joinLines([
      trustedShell("walcat_check_first=${walcat_var_check%%$'\\n'*}"),
      trustedShell('walcat_check_first=${walcat_check_first%%|*}'),
      // The value is reported base64-encoded: arbitrary text from the database never reaches the JSON line raw.
      trustedShell('walcat_check_b64=$(printf %s "$walcat_check_first" | head -c 200 | base64 -w0)'),
      trustedShell(
        'case $walcat_check_first in ""|f|false|0) walcat_check_passed=false ;; *) walcat_check_passed=true ;; esac',
      ),
      trustedShell(
        'walcat_var_result="${walcat_var_result%\\}},\\"check\\":{\\"passed\\":$walcat_check_passed,\\"firstValueBase64\\":\\"$walcat_check_b64\\"}}"',
      ),
      shell`if [[ $walcat_check_passed != true ]]; then printf ${'walcat: the check query returned %s (false, 0 or nothing)\\n'} "'$walcat_check_first'"; ${fail} ${EXIT.toolFailed}; fi`,
    ]),
  });
  return steps;
}

function trustedResult(text: string): ScriptStep {
  return { kind: 'shell', name: 'report', fragment: trustedShell(text) };
}

function resumeArchiving(input: RestoreScriptInput, p: Paths): ScriptStep[] {
  const block = recoveryConfBlock(input);
  const conf = `${p.pgData}/postgresql.auto.conf`;
  const next = `${conf}.walcat-next`;
  const service = input.host.service;
  const restart =
    service.kind === 'systemd'
      ? shell`systemctl restart ${service.unit} 3>&- 4>&-`
      : shell`${asOsUser} ${`${service.binDir.replace(/\/+$/u, '')}/pg_ctl`} restart -D ${p.pgData} -m fast -l ${p.logFile} -w -t 600 3>&- 4>&-`;
  const timeout = Math.max(1, Math.floor(input.archiveTimeoutSeconds ?? 300));
  const wal = `${p.pgData}/pg_wal`;
  return [
    { kind: 'shell', name: 'define', fragment: copyPsqlDefinition(p) },
    {
      kind: 'shell',
      name: 'check-promoted',
      failureExitCode: EXIT.preconditionFailed,
      fragment: joinLines([
        trustedShell(`walcat_in_recovery=$(trap - ERR; walcat_copy_psql -c 'select pg_is_in_recovery()')`),
        shell`if [[ $walcat_in_recovery != f ]]; then echo ${`walcat: the server on ${p.pgData} is still in recovery; archiving is resumed only on a promoted server`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        trustedShell(
          `walcat_current=$(trap - ERR; walcat_copy_psql -c 'select file_name from pg_walfile_name_offset(pg_current_wal_insert_lsn())')`,
        ),
        trustedShell('walcat_tli=${walcat_current:0:8}'),
      ]),
    },
    {
      kind: 'shell',
      name: 'archive-mode-on',
      fragment: joinLines([
        shell`awk -v begin=${block.begin} -v end=${block.end} '$0 == begin { inside = 1 } $0 == end { inside = 0 } inside && $0 == "archive_mode = '"'"'off'"'"'" { $0 = "archive_mode = '"'"'on'"'"'" } { print }' ${conf} > ${next}`,
        shell`chown -- "$WALCAT_OS_USER": ${next}`,
        shell`chmod 600 -- ${next}`,
        shell`mv -T -- ${next} ${conf}`,
      ]),
    },
    {
      kind: 'shell',
      name: 'queue-timeline',
      fragment: joinLines([
        // archive_mode was off when the server promoted, so PostgreSQL marked neither the new timeline's history
        // file nor its completed segments for archiving: mark them now (PostgreSQL's own .ready status files).
        trustedShell('walcat_queued=0'),
        shell`for walcat_file in ${trustedShell(`${shell`${wal}`.text}/"$walcat_tli"*`)}; do`,
        trustedShell('  walcat_name=${walcat_file##*/}'),
        trustedShell(
          '  if [[ $walcat_name == "$walcat_tli.history" || ( ${#walcat_name} == 24 && $walcat_name =~ ^[0-9A-F]+$ && $walcat_name < $walcat_current ) ]]; then',
        ),
        shell`    if [[ ! -e ${wal}/archive_status/$walcat_name.done && ! -e ${wal}/archive_status/$walcat_name.ready ]]; then ${asOsUser} touch -- ${wal}/archive_status/$walcat_name.ready; walcat_queued=$(( walcat_queued + 1 )); fi`,
        trustedShell('  fi'),
        trustedShell('done'),
      ]),
    },
    {
      kind: 'shell',
      name: 'restart',
      fragment: joinLines([
        shell`if ! (trap - ERR; ${restart}); then { tail -n 30 -- ${p.logFile}; } 2>/dev/null || true; ${fail} ${EXIT.toolFailed}; fi`,
      ]),
    },
    {
      kind: 'shell',
      name: 'wait-archived',
      fragment: joinLines([
        trustedShell(
          `walcat_archive_command=$(trap - ERR; walcat_copy_psql -c "select current_setting('archive_command') || current_setting('archive_library')")`,
        ),
        shell`if [[ -z $walcat_archive_command ]]; then echo ${`walcat: archive_mode is on now but archive_command is empty on ${p.pgData}; set it (e.g. envdir /etc/wal-g.d/env wal-g wal-push %p), reload, then resume this job`}; ${fail} ${EXIT.preconditionFailed}; fi`,
        trustedShell(`walcat_switched=$(trap - ERR; walcat_copy_psql -c 'select pg_walfile_name(pg_switch_wal())')`),
        shell`walcat_deadline=$(( SECONDS + ${integer(timeout)} ))`,
        trustedShell('while :; do'),
        trustedShell(
          `  walcat_archived=$(trap - ERR; walcat_copy_psql -F ' ' -c "select coalesce(last_archived_wal, '-'), failed_count, coalesce(last_failed_wal, '-') from pg_stat_archiver")`,
        ),
        trustedShell('  walcat_last=${walcat_archived%% *}'),
        trustedShell('  if [[ ${#walcat_last} == 24 && ! $walcat_last < $walcat_switched ]]; then break; fi'),
        shell`  if (( SECONDS > walcat_deadline )); then printf ${'walcat: the archiver did not archive %s within %s s (last archived, failures, last failed: %s); check archive_command and the server log, then resume this job\n'} "$walcat_switched" ${integer(timeout)} "$walcat_archived"; ${fail} ${EXIT.toolFailed}; fi`,
        trustedShell('  sleep 0.5'),
        trustedShell('done'),
        trustedShell(
          'walcat_var_result=$(printf \'{"timeline":%d,"queued":%d,"lastArchived":"%s"}\' "$((16#$walcat_tli))" "$walcat_queued" "$walcat_last")',
        ),
      ]),
    },
  ];
}

function joinLines(fragments: readonly ShellFragment[]): ShellFragment {
  return trustedShell(fragments.map((fragment) => fragment.text).join('\n'));
}

/**
 * The host script of one restore step.
 *
 * @example buildRestoreStepScript('move-aside', input) // bash that renames pgData to pgData.walcat-<job>
 * @throws InvalidInputError when a value fails validation (bad path, backup name, setting name, job id).
 */
export function buildRestoreStepScript(step: RestoreStepName, input: RestoreScriptInput): string {
  const p = paths(input);
  const steps: Record<RestoreStepName, () => ScriptStep[]> = {
    preflight: () => preflight(input, p),
    'stop-postgres': () => stopPostgres(input, p),
    'move-aside': () => moveAside(input, p),
    'fetch-backup': () => fetchBackup(input, p),
    'configure-recovery': () => configureRecovery(input, p),
    'start-postgres': () => startPostgres(input, p),
    'wait-recovery': () => waitRecovery(input, p),
    verify: () => verify(input, p),
    'resume-archiving': () => resumeArchiving(input, p),
  };
  const withResult = new Set<RestoreStepName>([
    'preflight',
    'stop-postgres',
    'move-aside',
    'fetch-backup',
    'configure-recovery',
    'wait-recovery',
    'verify',
    'resume-archiving',
  ]);
  return buildHostScript({
    name: `restore-${step}`,
    host: { ...input.host, pgData: p.pgData },
    steps: steps[step](),
    ...(withResult.has(step) ? { resultFrom: 'result' } : {}),
  });
}
