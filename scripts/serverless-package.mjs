#!/usr/bin/env node
// `npm run package`: the CloudFormation template and one bundle per function, offline and without AWS credentials
// (osls 4 + serverless-esbuild; Serverless Framework v4 needs a download and a login). The config file packaged is
// walcat.config.yml when present, else the documented example, so a clone packages out of the box.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { register } from 'tsx/esm/api';

const root = resolve(import.meta.dirname, '..');
const config =
  process.env.WALCAT_CONFIG ??
  (existsSync(join(root, 'walcat.config.yml')) ? 'walcat.config.yml' : 'walcat.config.example.yml');
// osls caches under ~/.serverless; keep that inside the project so packaging never writes to the home folder.
const home = join(root, '.serverless', 'home');
mkdirSync(home, { recursive: true });

// The IAM roles, schedules and queue policy come from the validated config (lib/deploy/serverless-model.ts);
// serverless.yml reads them from this file.
register();
const stage = process.argv.includes('--stage') ? process.argv[process.argv.indexOf('--stage') + 1] : 'dev';
const { loadWalcatConfig } = await import('../lib/config/config.ts');
const { serverlessModel } = await import('../lib/deploy/serverless-model.ts');
const model = serverlessModel(loadWalcatConfig({ path: join(root, config) }), { service: 'walcat', stage });
writeFileSync(join(root, '.serverless-model.json'), `${JSON.stringify(model, null, 2)}\n`);
copyFileSync(join(root, config), join(root, 'walcat.config.deploy.yml'));

const result = spawnSync(join(root, 'node_modules', '.bin', 'serverless'), ['package', ...process.argv.slice(2)], {
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
