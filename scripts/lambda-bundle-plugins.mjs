// esbuild plugins for the Lambda bundles (serverless.yml `custom.esbuild.plugins`, loaded by serverless-esbuild).
//
// Source maps stay out of the zips: esbuild writes each function's map beside its bundle (`sourcemap: external`,
// so the bundle carries no sourceMappingURL comment) and this plugin moves it to .serverless/sourcemaps/, keyed by
// the bundle's path. A minified stack trace from CloudWatch maps back to the sources with that file
// (README, Deploying: stack traces).
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
export const SOURCEMAP_DIR = join(root, '.serverless', 'sourcemaps');

function* mapsUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* mapsUnder(path);
    else if (entry.name.endsWith('.map')) yield path;
  }
}

/** Moves every `.map` file esbuild wrote out of the directory that gets zipped. */
export const sourceMapsOutsideZip = (destination = SOURCEMAP_DIR) => ({
  name: 'walcat-source-maps-outside-zip',
  setup(build) {
    build.onEnd((result) => {
      const outdir = build.initialOptions.outdir ?? dirname(build.initialOptions.outfile ?? '');
      if (result.errors.length > 0 || outdir === '') return;
      // serverless-esbuild builds into <buildDir>/functions/; keep the path below the build dir.
      const base = dirname(outdir);
      for (const map of mapsUnder(outdir)) {
        const target = join(destination, relative(base, map));
        mkdirSync(dirname(target), { recursive: true });
        renameSync(map, target);
      }
    });
  },
});

/**
 * With `splitting`, what a bundle loads only through `import()` (the SDK's credential providers other than the
 * environment's and the STS, SSO and sign-in clients they build) is written as chunks that node parses only when the
 * import runs. serverless-esbuild builds every function into the same folder and zips, for
 * each function, that folder minus the other functions' bundles and whatever starts with their name and a dot (as
 * `<fn>.mjs.map` does): so each function's chunks go to `<fn>.chunks/`, which only its own zip then carries.
 */
export const chunksBesideEntry = () => ({
  name: 'walcat-chunks-beside-entry',
  setup(build) {
    const options = build.initialOptions;
    const entries = Array.isArray(options.entryPoints) ? options.entryPoints : Object.values(options.entryPoints ?? {});
    if (!options.splitting || entries.length !== 1) return;
    const entry = typeof entries[0] === 'string' ? entries[0] : entries[0].in;
    options.chunkNames = `${basename(entry, extname(entry))}.chunks/[name]-[hash]`;
  },
});

export default [chunksBesideEntry(), sourceMapsOutsideZip()];
