#!/usr/bin/env node
// `npm run package`: the CloudFormation template and one bundle per function, offline and without AWS credentials
// (osls 4 + serverless-esbuild; Serverless Framework v4 needs a download and a login). It packages WALCAT_CONFIG,
// else walcat.config.yml, and names the file; the documented example only with --example (its bucket is fictional).
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
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
const stage = process.argv.includes('--stage') ? process.argv[process.argv.indexOf('--stage') + 1] : 'dev';
const { loadWalcatConfig } = await import('../lib/config/config.ts');
const { serverlessModel } = await import('../lib/deploy/serverless-model.ts');
const { ConfigError } = await import('../lib/domain/errors.ts');
let walcatConfig;
try {
  walcatConfig = loadWalcatConfig({
    path: chosen.path,
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
const model = serverlessModel(walcatConfig, { service: 'walcat', stage });
writeFileSync(join(root, '.serverless-model.json'), `${JSON.stringify(model, null, 2)}\n`);
copyFileSync(chosen.path, join(root, 'walcat.config.deploy.yml'));

const result = spawnSync(
  join(root, 'node_modules', '.bin', 'serverless'),
  ['package', ...process.argv.slice(2).filter((arg) => arg !== '--example')],
  {
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
  },
);
process.exit(result.status ?? 1);
