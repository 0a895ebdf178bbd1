import crypto from 'node:crypto';

let applied = false;

/**
 * s3rver encrypts ListObjectsV2 continuation tokens with single DES, which OpenSSL 3 (Node >= 17) no longer offers,
 * so every truncated listing fails with InternalError. DES-CBC with key k equals 3DES-EDE-CBC with key k|k|k, so
 * mapping 'des' to 'des-ede3-cbc' keeps the tokens identical. Idempotent.
 * The local stack runs s3rver in-process, so product code needs the alias too.
 */
export function applyDesCipherAlias(): void {
  if (applied) return;
  applied = true;
  const originalCipher = crypto.createCipheriv;
  const originalDecipher = crypto.createDecipheriv;
  const tripled = (key: crypto.CipherKey): Buffer => {
    const bytes = Buffer.from(key as Uint8Array);
    return Buffer.concat([bytes, bytes, bytes]);
  };
  const cipherAlias = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: unknown) =>
    algorithm === 'des'
      ? originalCipher('des-ede3-cbc', tripled(key), iv, options as undefined)
      : originalCipher(algorithm, key, iv, options as undefined);
  const decipherAlias = (algorithm: string, key: crypto.CipherKey, iv: crypto.BinaryLike | null, options?: unknown) =>
    algorithm === 'des'
      ? originalDecipher('des-ede3-cbc', tripled(key), iv, options as undefined)
      : originalDecipher(algorithm, key, iv, options as undefined);
  crypto.createCipheriv = cipherAlias as typeof crypto.createCipheriv;
  crypto.createDecipheriv = decipherAlias as typeof crypto.createDecipheriv;
}
