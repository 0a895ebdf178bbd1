/** The `lzma` package (LZMA-JS): LZMA-alone (`.lzma`) encoding; the synchronous form is used when no callback is given. */
declare module 'lzma' {
  interface LzmaJs {
    /** Returns a string when the output is valid UTF-8, otherwise the bytes (as signed or unsigned numbers). */
    decompress(bytes: Uint8Array | readonly number[]): string | Int8Array | Uint8Array | number[];
    compress(input: string | Uint8Array | readonly number[], mode?: number): Int8Array | number[];
  }
  const lzma: LzmaJs;
  export = lzma;
}

/** The decoder-only build of LZMA-JS; as a CommonJS script it assigns `LZMA` on its exports. */
declare module 'lzma/src/lzma-d.js' {
  const decoder: {
    readonly LZMA: { decompress(bytes: Uint8Array | readonly number[]): string | Int8Array | Uint8Array | number[] };
  };
  export = decoder;
}
