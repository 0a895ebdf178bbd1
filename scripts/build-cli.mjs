#!/usr/bin/env node
// The CLI's prebuilt bundle: lib/cli/main.ts and everything it imports (the AWS SDK included) as ESM files,
// dist/cli/walcat.mjs and its chunks, so `walcat` starts without transpiling TypeScript. Each command's module is a
// dynamic import, so it is a chunk of its own with what only it needs (the SSM client of `backup`, the local stack
// of `local`), and a command loads only the SDK clients it uses. `npm ci` builds it (the `prepare` script);
// bin/walcat.mjs rebuilds it when a source it was built from is newer, so nobody editing lib/ runs stale code.
//
//   node scripts/build-cli.mjs          # build dist/cli/walcat.mjs, its chunks and its list of inputs
//
// Only node: built-ins are imported at the top: bin/walcat.mjs imports this file on every run to check freshness,
// and esbuild is loaded only when a build is needed.
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '..');
/** This script, relative to the root: how the bundle is cut (chunk names, folders) is an input of it too. */
const BUILD_SCRIPT = relative(ROOT, fileURLToPath(import.meta.url));
/**
 * Inputs of every bundle besides the files esbuild read: package-lock.json pins the bundled dependencies, and this
 * script decides the bundle's layout (a bundle from an older version of it can have its chunks where nothing looks
 * for them any more). Either may be absent from a root (a bundle from elsewhere), which then does not make it stale.
 */
const BUILD_INPUTS = ['package-lock.json', BUILD_SCRIPT];
export const CLI_ENTRY = join(ROOT, 'lib', 'cli', 'main.ts');
export const CLI_BUNDLE = join(ROOT, 'dist', 'cli', 'walcat.mjs');

/** The inputs list written next to a bundle: the project files it was built from, relative to the root. */
export const inputsFile = (bundle) => `${bundle}.inputs.json`;

/** CommonJS dependencies inside the ESM bundle call require() for node built-ins. */
const REQUIRE_BANNER =
  "import { createRequire as __walcatCreateRequire } from 'node:module'; const require = __walcatCreateRequire(import.meta.url);";

/**
 * Whether `bundle` exists and is at least as new as every project file it was built from, package-lock.json and
 * this build script. A missing or unreadable inputs list counts as stale.
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
  // Checked on every `walcat` run: path.join on each of the ~240 inputs cost three times their stat calls, and
  // esbuild names inputs as plain relative paths, which need no normalising.
  const pathOf = (input) =>
    /^[\w@.-][\w@./-]*$/.test(input) && !input.includes('..') ? `${root}/${input}` : join(root, input);
  for (const input of [...inputs, ...BUILD_INPUTS]) {
    try {
      if (statSync(pathOf(input)).mtimeMs > builtAt) return false;
    } catch {
      // An input that is gone was removed by an edit of a file that imported it, or the bundle is from elsewhere.
      if (!BUILD_INPUTS.includes(input)) return false;
    }
  }
  return true;
}

/**
 * The chunks' name prefix. They sit beside the entry, not in a subfolder: bundled modules find files of the checkout
 * relative to themselves (`new URL('../../bin/wal-g-local.mjs', import.meta.url)`, the events/ payloads), which holds
 * only at the entry's depth. Their names carry a hash of their content.
 */
const CHUNK_PREFIX = 'chunk-';
const isChunk = (name) => name.startsWith(CHUNK_PREFIX);

/**
 * Builds the CLI bundle into a folder of its own and moves it into place: the chunks first (new names, since a name
 * is a hash of the content, so a running `walcat` never finds a chunk changed under it), the entry last by rename,
 * so a concurrent `walcat` imports either the old entry or the new one, never half a file. Chunks no longer part of
 * the bundle are removed after. Returns the entry's path.
 */
export async function buildCli({ entry = CLI_ENTRY, outfile = CLI_BUNDLE, root = ROOT } = {}) {
  const { build } = await import('esbuild');
  const outdir = dirname(outfile);
  const staging = `${outdir}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  const entryName = basename(outfile).replace(/\.mjs$/, '');
  try {
    const result = await build({
      entryPoints: { [entryName]: entry },
      outdir: staging,
      outExtension: { '.js': '.mjs' },
      chunkNames: `${CHUNK_PREFIX}[name]-[hash]`,
      bundle: true,
      // Dynamic imports become chunks loaded on first use: a command's own code and clients load when it runs.
      splitting: true,
      platform: 'node',
      target: 'node20',
      format: 'esm',
      // ESM builds of the dependencies (the AWS SDK's among them) so unused exports are dropped.
      mainFields: ['module', 'main'],
      // Class and function names stay as written: error classes are matched by name and stack traces stay readable.
      keepNames: true,
      // Less to parse on every start; the linked source maps give stack traces their source names and lines.
      minify: true,
      sourcemap: 'linked',
      banner: { js: REQUIRE_BANNER },
      metafile: true,
      logLevel: 'warning',
      absWorkingDir: root,
    });
    const inputs = Object.keys(result.metafile.inputs).filter((input) => !input.includes('node_modules/'));
    mkdirSync(outdir, { recursive: true });
    const built = new Set(readdirSync(staging).filter(isChunk));
    for (const name of built) renameSync(join(staging, name), join(outdir, name));
    writeFileSync(join(staging, basename(inputsFile(outfile))), `${JSON.stringify(inputs.sort(), null, 1)}\n`);
    for (const name of [basename(inputsFile(outfile)), `${basename(outfile)}.map`, basename(outfile)])
      renameSync(join(staging, name), join(outdir, name));
    for (const name of readdirSync(outdir)) {
      if (isChunk(name) && !built.has(name)) rmSync(join(outdir, name), { force: true });
    }
    // A bundle built before the chunks moved beside the entry kept them in a subfolder.
    rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
    return outfile;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/** The bundle's files (entry and chunks) and their total size in bytes, source maps left out. */
export function bundleFiles(bundle = CLI_BUNDLE) {
  const outdir = dirname(bundle);
  const chunks = readdirSync(outdir).filter(isChunk);
  const files = [bundle, ...chunks.map((name) => join(outdir, name))].filter((file) => file.endsWith('.mjs'));
  return { files, bytes: files.reduce((sum, file) => sum + statSync(file).size, 0) };
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
  const { files, bytes } = bundleFiles(outfile);
  console.log(
    `walcat: built ${relative(ROOT, outfile)} and ${files.length - 1} chunks (${Math.round(bytes / 1024)} KB in all) in ${Math.round(performance.now() - started)} ms`,
  );
}
