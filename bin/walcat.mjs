#!/usr/bin/env node
// The walcat CLI. Runs the prebuilt bundle dist/cli/walcat.mjs (scripts/build-cli.mjs; `npm ci` builds it), and
// rebuilds it first when a source it was built from is newer, so an edit in lib/ is never answered by stale code.
// When it cannot be built (no esbuild, a read-only checkout) the TypeScript sources run through tsx instead, slower,
// with a one-line notice.
import { pathToFileURL } from 'node:url';
import { buildCli, bundleIsFresh, CLI_BUNDLE } from '../scripts/build-cli.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function loadMain() {
  if (!bundleIsFresh()) {
    try {
      await buildCli();
    } catch (error) {
      const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      process.stderr.write(
        `walcat: notice: running the TypeScript sources through tsx (slower start): cannot build ${CLI_BUNDLE} (${reason}); run npm run build:cli\n`,
      );
      const { register } = await import('tsx/esm/api');
      register();
      return (await import('../lib/cli/main.ts')).main;
    }
  }
  return (await import(pathToFileURL(CLI_BUNDLE).href)).main;
}

const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
