#!/usr/bin/env node
// The walcat CLI. Runs the TypeScript sources through tsx's loader, so a clone works after `npm ci` with no build.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../lib/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
