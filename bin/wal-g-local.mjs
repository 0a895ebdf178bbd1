#!/usr/bin/env node
// wal-g-local: DEVELOPMENT AND TEST TOOL standing in for wal-g (lib/local-archiver/README.md). PostgreSQL runs it
// as archive_command/restore_command, so it loads the TypeScript sources through tsx with no build step.
import { register } from 'tsx/esm/api';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../lib/local-archiver/main.ts');
process.exitCode = await main(process.argv.slice(2));
