// Types of scripts/build-cli.mjs for the TypeScript that imports it (tests).
export declare const ROOT: string;
export declare const CLI_ENTRY: string;
export declare const CLI_BUNDLE: string;
export declare function inputsFile(bundle: string): string;
export declare function bundleIsFresh(bundle?: string, root?: string): boolean;
export declare function buildCli(options?: { entry?: string; outfile?: string; root?: string }): Promise<string>;
export declare function bundleFiles(bundle?: string): { files: string[]; bytes: number };
