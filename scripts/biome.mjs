#!/usr/bin/env node
// Runs the Biome binary for this machine. The project depends on Biome's Linux CLI packages directly instead of the
// @biomejs/biome wrapper: the wrapper's optional dependencies for other platforms are not on the registry this
// project installs from, and `npm ci` refuses a lock file that lacks them.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const binary = join(
  import.meta.dirname,
  '..',
  'node_modules',
  '@biomejs',
  `cli-${process.platform}-${process.arch}`,
  'biome',
);
if (!existsSync(binary)) {
  console.error(
    `biome: no Biome binary for ${process.platform}-${process.arch} at ${binary}; run npm ci on Linux x64 or arm64`,
  );
  process.exit(2);
}
const result = spawnSync(binary, process.argv.slice(2), { stdio: 'inherit' });
process.exit(result.status ?? 1);
