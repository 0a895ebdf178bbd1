// Plain JavaScript on purpose: it runs before tsx is loaded, to decide whether tsx is needed at all.
//
// PostgreSQL starts wal-g-local once per WAL segment. Through tsx a start costs about 0.5 s of CPU; from one
// esbuild bundle about 0.2 s. So the first run after a source change goes through tsx and then writes a bundle into
// a private per-user cache directory; later runs import the bundle while every bundled source file (and
// package-lock.json, for the dependencies) still has the size and mtime it had when the bundle was built.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ENTRY = join(REPO_ROOT, 'lib/local-archiver/main.ts');
const LOCKFILE = join(REPO_ROOT, 'package-lock.json');

function cacheDirectory() {
  const uid = process.getuid?.() ?? 'user';
  return join(tmpdir(), `wal-g-local-${uid}`);
}

function cacheFiles() {
  const key = createHash('sha256').update(REPO_ROOT).digest('hex').slice(0, 16);
  const directory = cacheDirectory();
  return { directory, bundle: join(directory, `main-${key}.mjs`), inputs: join(directory, `main-${key}.inputs.json`) };
}

/** The cache directory is trusted only if this user owns it and nobody else can write into it. */
function isPrivateDirectory(directory) {
  try {
    const stat = lstatSync(directory);
    const uid = process.getuid?.();
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

function fingerprint(path) {
  const stat = statSync(path);
  return `${stat.size}:${stat.mtimeMs}`;
}

/** The file URL of a bundle built from the current sources, or undefined when there is none. */
export function freshBundleUrl() {
  const files = cacheFiles();
  if (!isPrivateDirectory(files.directory)) return undefined;
  try {
    const recorded = JSON.parse(readFileSync(files.inputs, 'utf8'));
    for (const [path, print] of Object.entries(recorded)) {
      if (fingerprint(path) !== print) return undefined;
    }
    statSync(files.bundle);
    return pathToFileURL(files.bundle).href;
  } catch {
    return undefined;
  }
}

/** Builds the bundle for the next run. Failures only cost speed, so they are swallowed. */
export async function buildBundle() {
  try {
    const files = cacheFiles();
    mkdirSync(files.directory, { recursive: true, mode: 0o700 });
    if (!isPrivateDirectory(files.directory)) return;
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      write: false,
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: REPO_ROOT,
      // The SDK's CommonJS parts call require() for Node built-ins; ESM output needs a require in scope.
      banner: {
        js: "import { createRequire as walgLocalCreateRequire } from 'node:module';\nconst require = walgLocalCreateRequire(import.meta.url);",
      },
    });
    const inputs = { [LOCKFILE]: fingerprint(LOCKFILE) };
    for (const input of Object.keys(result.metafile.inputs)) {
      if (input.includes('node_modules/')) continue;
      const path = resolve(REPO_ROOT, input);
      inputs[path] = fingerprint(path);
    }
    const suffix = `.${process.pid}.tmp`;
    writeFileSync(files.bundle + suffix, result.outputFiles[0].contents, { mode: 0o600 });
    renameSync(files.bundle + suffix, files.bundle);
    writeFileSync(files.inputs + suffix, JSON.stringify(inputs), { mode: 0o600 });
    renameSync(files.inputs + suffix, files.inputs);
  } catch {
    // No esbuild, no writable temp directory: keep running through tsx.
  }
}
