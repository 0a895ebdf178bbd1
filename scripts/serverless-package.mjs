#!/usr/bin/env node
// `npm run package`: the CloudFormation template and one bundle per function, offline and without AWS credentials
// (osls 4 + serverless-esbuild; Serverless Framework v4 needs a download and a login). It packages WALCAT_CONFIG,
// else walcat.config.yml, and names the file; the documented example only with --example (its bucket is fictional).
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { choosePackageConfig, PackageConfigError } = await import('./package-config.ts');
const root = resolve(import.meta.dirname, '..');
let chosen;
try {
  chosen = choosePackageConfig({ root, env: process.env, argv: process.argv.slice(2) });
} catch (error) {
  if (!(error instanceof PackageConfigError)) throw error;
  console.error(`walcat: npm run package: ${error.message}`);
  process.exit(2);
}
const config = relative(root, chosen.path) || chosen.path;
// osls caches under ~/.serverless; keep that inside the project so packaging never writes to the home folder.
const home = join(root, '.serverless', 'home');
mkdirSync(home, { recursive: true });

// The IAM roles, schedules and queue policy come from the validated config (lib/deploy/serverless-model.ts);
// serverless.yml reads them from this file.
const option = (name) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const stage = option('--stage') ?? 'dev';
// `--catalog-table NAME` adopts an existing table (docs/deploy.md: adopting an existing catalog table) instead of the
// stage's own walcat-<stage>-catalog. It is this script's option, not osls's; so is --example.
const catalogTable = option('--catalog-table');
const forwarded = process.argv
  .slice(2)
  .filter((arg, i, all) => arg !== '--example' && arg !== '--catalog-table' && all[i - 1] !== '--catalog-table');
const { loadWalcatConfig } = await import('../lib/config/config.ts');
const { serverlessModel } = await import('../lib/deploy/serverless-model.ts');
const { ConfigError } = await import('../lib/domain/errors.ts');
// The table name comes from the stack alone: a WALCAT_CATALOG_TABLE of the packaging shell must not leak in.
const { WALCAT_CATALOG_TABLE: _ignored, ...packagingEnv } = process.env;
let walcatConfig;
try {
  walcatConfig = loadWalcatConfig({
    path: chosen.path,
    env: packagingEnv,
    onNotice: (notice) => console.error(`walcat: notice: ${notice}`),
  });
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  console.error(`walcat: npm run package: ${error.message}`);
  process.exit(2);
}
console.log(
  `walcat: packaging ${chosen.path} (${walcatConfig.clusters.map((cluster) => cluster.id).join(', ')}) for stage ${stage}${chosen.example ? '; this is the example config, its bucket is fictional: do not deploy it' : ''}`,
);
const narrowed = [];
const model = serverlessModel(
  walcatConfig,
  { service: 'walcat', stage, ...(catalogTable ? { catalogTable } : {}) },
  narrowed,
);
for (const n of narrowed) {
  console.warn(
    `walcat: ${n.list} of ${n.group}: ${n.entries} entries narrowed to ${n.to} so every policy stays under IAM's size limit`,
  );
}
writeFileSync(join(root, '.serverless-model.json'), `${JSON.stringify(model, null, 2)}\n`);
// The functions read the config as JSON (no YAML parser in their bundles): the same data, validated twice.
const { packagedConfigJson } = await import('../lib/config/packaged-config.ts');
writeFileSync(
  join(root, 'walcat.config.deploy.yml'),
  packagedConfigJson(readFileSync(chosen.path, 'utf8'), chosen.path),
);

const result = spawnSync(join(root, 'node_modules', '.bin', 'serverless'), ['package', ...forwarded], {
  cwd: root,
  stdio: 'inherit',
  env: {
    ...process.env,
    HOME: home,
    WALCAT_CONFIG: config,
    AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
  },
});
process.exit(result.status ?? 1);
