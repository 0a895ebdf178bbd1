// esbuild plugins for the Lambda bundles (serverless.yml `custom.esbuild.plugins`, loaded by serverless-esbuild).
//
// Source maps stay out of the zips: esbuild writes each function's map beside its bundle (`sourcemap: external`,
// so the bundle carries no sourceMappingURL comment) and this plugin moves it to .serverless/sourcemaps/, keyed by
// the bundle's path. A minified stack trace from CloudWatch maps back to the sources with that file
// (README, Deploying: stack traces).
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

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

export default [sourceMapsOutsideZip()];
