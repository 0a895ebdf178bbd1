/** The xxHash-32 routine of the `lz4js` package, used to verify LZ4 frame checksums. */
declare module 'lz4js/xxh32.js' {
  interface Xxh32 {
    hash(seed: number, bytes: Uint8Array, index: number, length: number): number;
  }
  const xxh32: Xxh32;
  export = xxh32;
}

/** The `lz4js` package; the tests use its frame encoder as an independent source of LZ4 frames. */
declare module 'lz4js' {
  interface Lz4js {
    compress(bytes: Uint8Array, maxSize?: number): Uint8Array | number[];
    decompress(bytes: Uint8Array, maxSize?: number): Uint8Array | number[];
  }
  const lz4js: Lz4js;
  export = lz4js;
}
