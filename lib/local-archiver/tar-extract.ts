import { chmod, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { InvalidInputError } from '../domain/errors.ts';
import { ByteReader } from './byte-reader.ts';
import { normalizeTarPath, parseTarHeader, TAR_BLOCK, tarPadding } from './tar-format.ts';

/** Extracts a tar stream below `destination`, refusing entries that would land outside it. Returns the entry count. */
export async function extractTar(source: AsyncIterable<Uint8Array>, destination: string): Promise<number> {
  const reader = new ByteReader(source);
  let entries = 0;
  const directoryModes: [string, number][] = [];
  for (;;) {
    const block = await reader.readExactly(TAR_BLOCK);
    const header = block ? parseTarHeader(block) : undefined;
    if (!header) break;
    const path = normalizeTarPath(header.path);
    if (isAbsolute(path) || path.split('/').includes('..')) {
      throw new InvalidInputError(`tar entry ${JSON.stringify(header.path)} points outside the data directory`);
    }
    const target = path === '' || path === '.' ? destination : join(destination, path);
    entries += 1;
    if (header.type === 'directory') {
      await mkdir(target, { recursive: true, mode: 0o700 });
      directoryModes.push([target, header.mode]);
    } else if (header.type === 'symlink') {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      await symlink(header.linkTarget, target);
    } else {
      await mkdir(dirname(target), { recursive: true, mode: 0o700 });
      const file = await open(target, 'w', header.mode || 0o600);
      try {
        for await (const piece of reader.pieces(header.size)) await file.write(piece);
      } finally {
        await file.close();
      }
      const padding = tarPadding(header.size);
      if (padding > 0) await reader.readExactly(padding);
    }
  }
  await reader.drain();
  // Modes last: a read-only directory would otherwise refuse the files extracted into it.
  for (const [directory, mode] of directoryModes) await chmod(directory, mode || 0o700);
  return entries;
}
