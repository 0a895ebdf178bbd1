/**
 * Every system tool a test, the local stack or a benchmark needs beyond Node and the Debian base system, with the
 * Debian package that installs it. scripts/setup-system.sh (`npm run setup`, also run by .ci/run) must install each
 * package; test/support/system-needs.test.ts holds the two lists and the code to each other.
 */
export interface SystemNeed {
  /** The Debian package, or for a tool Debian does not package here, the command that installs it. */
  readonly package: string;
  /** `debian`: npm run setup installs it; `other`: npm run setup checks it and names `package` as the command. */
  readonly source?: 'debian' | 'other';
  /** What the package provides that walcat uses: absolute paths, or commands looked up on the PATH. */
  readonly tools: readonly string[];
  /** Files that use the tools (each must mention one, so the table cannot go stale). */
  readonly usedBy: readonly string[];
  readonly why: string;
}

export const SYSTEM_NEEDS: readonly SystemNeed[] = [
  {
    package: 'postgresql-15',
    tools: [
      '/usr/lib/postgresql/15/bin/initdb',
      '/usr/lib/postgresql/15/bin/pg_ctl',
      '/usr/lib/postgresql/15/bin/postgres',
      '/usr/lib/postgresql/15/bin/psql',
      '/usr/lib/postgresql/15/bin/pg_basebackup',
    ],
    usedBy: ['lib/local-stack/postgres-server.ts'],
    why: 'the end-to-end tests and the local stack run a real PostgreSQL 15 (both run its binaries through postgres-server)',
  },
  {
    package: 'chromium',
    tools: ['/usr/bin/chromium'],
    usedBy: ['test/web-view/web-view.browser.test.ts'],
    why: 'the web view is tested in headless Chromium',
  },
  {
    package: 'daemontools',
    tools: ['envdir'],
    usedBy: ['lib/local-stack/local-cluster-files.ts', 'lib/domain/restore/restore-scripts.ts'],
    why: 'host scripts and restore_command run WAL-G under envdir as on a real host',
  },
  {
    package: 'pgbackrest',
    tools: ['pgbackrest'],
    usedBy: ['bench/support/pgbackrest-repository.ts'],
    why: 'the peer benchmark runs real pgBackRest info and verify side by side with walcat',
  },
  {
    package: 'openssl',
    tools: ['openssl'],
    usedBy: ['bench/support/counting-servers.ts'],
    why: 'the pgBackRest peer benchmark serves S3 over TLS with a certificate made at bench time',
  },
  {
    package: 'pip install boto3',
    source: 'other',
    tools: ['python3'],
    usedBy: ['test/security/iam-role-sufficiency.test.ts'],
    why: 'the role-sufficiency test provisions IAM users, the bucket and the queues in moto with boto3',
  },
  {
    package: 'pip install cfn-lint',
    source: 'other',
    tools: ['cfn-lint'],
    usedBy: ['test/deploy/packaged-stack.test.ts'],
    why: 'the packaged CloudFormation template is linted with zero errors',
  },
  {
    package: "pip install 'moto[server]'",
    source: 'other',
    tools: ['moto_server'],
    usedBy: ['test/support/moto.ts'],
    why: "tests that need AWS semantics the other emulators lack run moto's server mode",
  },
];

/**
 * Tools of the Debian base system (Essential or Required priority, present on every installation) or of Node
 * itself (node, npm): no package to install.
 */
export const BASE_SYSTEM = new Set([
  '/bin/bash',
  '/bin/sh',
  '/bin/true',
  '/bin/false',
  '/usr/bin/env',
  'npm',
  'bash',
  'sh',
  'id',
  'chown',
  'runuser',
  'tar',
  // apt is of Required priority: the peer benchmark installs pgBackRest with it when it is missing.
  'apt-get',
]);

/** Absolute paths the code names that are not tools of this machine, with the reason. */
export const NOT_MACHINE_TOOLS: Readonly<Record<string, string>> = {
  '/usr/local/bin/wal-g': 'a production host setting in examples and config tests; tests use bin/wal-g-local.mjs',
  '/usr/bin/node': 'Node itself',
};
