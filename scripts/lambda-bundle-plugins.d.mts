// Types of scripts/lambda-bundle-plugins.mjs for the TypeScript that imports it (tests, bench).
import type { Plugin } from 'esbuild';

export declare const SOURCEMAP_DIR: string;
export declare function sourceMapsOutsideZip(destination?: string): Plugin;
export declare function chunksBesideEntry(): Plugin;
declare const plugins: Plugin[];
export default plugins;
