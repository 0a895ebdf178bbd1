/**
 * What the deployed functions use in place of the `yaml` package (serverless.yml's esbuild `alias`): `npm run package`
 * writes the validated config as JSON (lib/config/packaged-config.ts), so a function reads it with `JSON.parse` and
 * its bundle carries no YAML parser. The same shape as the part of yaml's `parseDocument` that lib/config/config.ts
 * uses; anything that is not JSON is reported as a syntax error naming the fix.
 */
export interface PackagedConfigProblem {
  readonly message: string;
  readonly linePos?: readonly { line: number; col: number }[];
}

export interface PackagedConfigDocument {
  readonly errors: readonly PackagedConfigProblem[];
  toJS(): unknown;
}

export function parseDocument(text: string, _options?: unknown): PackagedConfigDocument {
  try {
    const data: unknown = JSON.parse(text);
    return { errors: [], toJS: () => data };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      errors: [
        {
          message: `the deployed functions read their config as JSON, written by npm run package: ${reason}; package again instead of editing the packaged file`,
        },
      ],
      toJS: () => undefined,
    };
  }
}
