/**
 * A module imported on first call and then shared: how a Lambda door keeps a client its every invocation does not
 * call out of its cold start (esbuild writes what is reached only through `import()` as a chunk of its own, parsed
 * when the import runs). Concurrent first calls share one import; a failed import is not remembered, so the next
 * call tries again.
 *
 * @example const adapters = onDemand(async () => (await import('./ssm-adapters.ts')).createSsmAdapters(endpoints));
 */
export function onDemand<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
