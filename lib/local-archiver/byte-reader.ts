/**
 * Reads exact byte counts from a stream of chunks: tar headers need 512 bytes at a time, file data is passed on in
 * whatever pieces arrive, so large files never sit in memory whole.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private ended = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.iterator = source[Symbol.asyncIterator]();
  }

  private async fill(bytes: number): Promise<void> {
    while (this.pendingBytes < bytes && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
      } else if (next.value.length > 0) {
        const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
        this.pending.push(chunk);
        this.pendingBytes += chunk.length;
      }
    }
  }

  private take(bytes: number): Buffer {
    const all = this.pending.length === 1 ? (this.pending[0] as Buffer) : Buffer.concat(this.pending);
    const taken = all.subarray(0, bytes);
    const rest = all.subarray(bytes);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }

  /** Exactly `bytes` bytes, `undefined` at a clean end of stream; throws when the stream ends part-way. */
  async readExactly(bytes: number): Promise<Buffer | undefined> {
    await this.fill(bytes);
    if (this.pendingBytes === 0 && this.ended) return undefined;
    if (this.pendingBytes < bytes) {
      throw new Error(`stream ended after ${this.pendingBytes} of ${bytes} expected bytes (truncated tar?)`);
    }
    return this.take(bytes);
  }

  /** Yields exactly `bytes` bytes in pieces as they arrive. */
  async *pieces(bytes: number): AsyncGenerator<Buffer> {
    let remaining = bytes;
    while (remaining > 0) {
      await this.fill(1);
      if (this.pendingBytes === 0) throw new Error(`stream ended with ${remaining} bytes of an entry still to read`);
      const piece = this.take(Math.min(remaining, this.pendingBytes));
      remaining -= piece.length;
      yield piece;
    }
  }

  /** Reads and discards the rest of the stream (the zero blocks after a tar's end marker). */
  async drain(): Promise<void> {
    this.pending = [];
    this.pendingBytes = 0;
    while (!this.ended) {
      if ((await this.iterator.next()).done) this.ended = true;
    }
  }
}
