#!/usr/bin/env node
// wal-g-local: DEVELOPMENT AND TEST TOOL standing in for wal-g (lib/local-archiver/README.md). PostgreSQL runs it
// as archive_command/restore_command. It loads the TypeScript sources through tsx (no build step), or, when the
// sources are unchanged since the last run, a cached bundle of them, which starts about twice as fast.
import { buildBundle, freshBundleUrl } from '../lib/local-archiver/startup-bundle.mjs';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const bundleUrl = freshBundleUrl();
let main;
if (bundleUrl) {
  ({ main } = await import(bundleUrl));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../lib/local-archiver/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
if (!bundleUrl) await buildBundle();
