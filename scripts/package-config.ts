// Which config file `npm run package` packages. The example's bucket is fictional, so packaging it happens only
// when asked (`--example` or WALCAT_PACKAGE_EXAMPLE=1); otherwise a missing config stops the packaging with the fix.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

export const EXAMPLE_CONFIG = 'walcat.config.example.yml';
export const DEFAULT_CONFIG = 'walcat.config.yml';

export class PackageConfigError extends Error {}

/** The absolute path of the config to package, and whether it is the example. */
export function choosePackageConfig(options: {
  readonly root: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly argv: readonly string[];
  readonly exists?: (path: string) => boolean;
}): { path: string; example: boolean } {
  const { root, env, argv, exists = existsSync } = options;
  const named = env.WALCAT_CONFIG?.trim();
  const wantsExample = argv.includes('--example') || env.WALCAT_PACKAGE_EXAMPLE === '1';
  if (named) {
    const path = resolve(root, named);
    if (!exists(path)) {
      throw new PackageConfigError(`WALCAT_CONFIG names ${path}, which does not exist; fix the path or unset it`);
    }
    return { path, example: path === resolve(root, EXAMPLE_CONFIG) };
  }
  const own = resolve(root, DEFAULT_CONFIG);
  if (exists(own)) return { path: own, example: false };
  if (wantsExample) return { path: resolve(root, EXAMPLE_CONFIG), example: true };
  throw new PackageConfigError(
    `no ${DEFAULT_CONFIG} in ${root} and WALCAT_CONFIG is unset, so there is nothing to package: copy ${EXAMPLE_CONFIG} to ${DEFAULT_CONFIG} and put your clusters in it, or point WALCAT_CONFIG at your config; to package the example itself (its bucket is fictional), run npm run package -- --example`,
  );
}
