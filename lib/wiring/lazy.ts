/** A value built on first use and then shared: how the wiring builds each client and adapter at most once. */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => {
    value ??= build();
    return value;
  };
}
