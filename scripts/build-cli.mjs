#!/usr/bin/env node
// The CLI's prebuilt bundle: lib/cli/main.ts and everything it imports (the AWS SDK included) as one ESM file,
// dist/cli/walcat.mjs, so `walcat` starts without transpiling TypeScript. `npm ci` builds it (the `prepare` script);
// bin/walcat.mjs rebuilds it when a source it was built from is newer, so nobody editing lib/ runs stale code.
//
//   node scripts/build-cli.mjs          # build dist/cli/walcat.mjs and its list of inputs
//
// Only node: built-ins are imported at the top: bin/walcat.mjs imports this file on every run to check freshness,
// and esbuild is loaded only when a build is needed.
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
export const CLI_ENTRY = join(ROOT, 'lib', 'cli', 'main.ts');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli', 'walcat.mjs');

/** The inputs list written next to a bundle: the project files it was built from, relative to the root. */
export const inputsFile = (bundle) => `${bundle}.inputs.json`;

/** CommonJS dependencies inside the ESM bundle call require() for node built-ins. */
const REQUIRE_BANNER =
  "import { createRequire as __walcatCreateRequire } from 'node:module'; const require = __walcatCreateRequire(import.meta.url);";

/**
 * Whether `bundle` exists and is at least as new as every project file it was built from (and package-lock.json,
 * which pins the bundled dependencies). A missing or unreadable inputs list counts as stale.
 */
export function bundleIsFresh(bundle = CLI_BUNDLE, root = ROOT) {
  let builtAt;
  let inputs;
  try {
    builtAt = statSync(bundle).mtimeMs;
    inputs = JSON.parse(readFileSync(inputsFile(bundle), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(inputs)) return false;
  for (const input of [...inputs, 'package-lock.json']) {
    try {
      if (statSync(join(root, input)).mtimeMs > builtAt) return false;
    } catch {
      // An input that is gone was removed by an edit of a file that imported it, or the bundle is from elsewhere.
      if (input !== 'package-lock.json') return false;
    }
  }
  return true;
}

/**
 * Builds the CLI bundle: written beside its final name and renamed, so a concurrent `walcat` never imports half a
 * file. Returns the bundle's path.
 */
export async function buildCli({ entry = CLI_ENTRY, outfile = CLI_BUNDLE, root = ROOT } = {}) {
  const { build } = await import('esbuild');
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  const result = await build({
    entryPoints: [entry],
    outfile: partial,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // ESM builds of the dependencies (the AWS SDK's among them) so unused exports are dropped.
    mainFields: ['module', 'main'],
    // Class and function names stay as written: error classes are matched by name and stack traces stay readable.
    keepNames: true,
    // Less to parse on every start; the linked source map gives stack traces their source names and lines.
    minify: true,
    sourcemap: 'linked',
    banner: { js: REQUIRE_BANNER },
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
  });
  const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules/'));
  writeFileSync(inputsFile(outfile), `${JSON.stringify(inputs.sort(), null, 1)}\n`);
  renameSync(`${partial}.map`, `${outfile}.map`);
  // The linked map's comment names the temporary file; point it at the final one.
  const code = readFileSync(partial, 'utf8').replace(
    /sourceMappingURL=\S+\s*$/,
    `sourceMappingURL=${basename(outfile)}.map\n`,
  );
  writeFileSync(partial, code);
  renameSync(partial, outfile);
  return outfile;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = performance.now();
  let outfile;
  try {
    outfile = await buildCli();
  } catch (error) {
    // An install without devDependencies (`npm ci --omit=dev`) has no esbuild: the CLI then runs through tsx.
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    console.log('walcat: esbuild is not installed, so the CLI will run its TypeScript sources through tsx');
    process.exit(0);
  }
  const size = statSync(outfile).size;
  console.log(
    `walcat: built ${outfile.slice(ROOT.length + 1)} (${Math.round(size / 1024)} KB) in ${Math.round(performance.now() - started)} ms`,
  );
}
