import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Transform } from 'node:stream';
import { InvalidInputError } from '../domain/errors.ts';
import {
  BACKUP_LABEL_TAR,
  BACKUP_NAME_PREFIX,
  BASEBACKUPS_FOLDER,
  METADATA_FILE_NAME,
  PG_CONTROL_TAR,
  SENTINEL_SUFFIX,
  TAR_PART_PREFIX,
  TAR_PARTITIONS_FOLDER,
  TAR_SUFFIX,
} from '../domain/layout/wal-g-layout.ts';
import type { ArchiveStore } from './archive-store.ts';
import { type BackupLabel, finishLsnFromManifest, parseBackupLabel } from './backup-label.ts';
import { metadataJson, type PushedBackup, sentinelJson } from './backup-metadata.ts';
import { ByteReader } from './byte-reader.ts';
import { createCompressor, WRITE_EXTENSION } from './compression.ts';
import type { LocalArchiverConfig } from './config.ts';
import { runPgTool } from './pg-tools.ts';
import { walgTimeNow } from './precise-clock.ts';
import { normalizeTarPath, parseTarHeader, TAR_BLOCK, TAR_END, tarPadding } from './tar-format.ts';

/** Files WAL-G keeps out of the data tars (`pg/bundle.go`): they go into backup_label.tar and pg_control.tar. */
const LABEL_FILES = new Set(['backup_label', 'tablespace_map']);
const PG_CONTROL_FILE = 'global/pg_control';

/** One tar archive being compressed into memory. */
class CompressedTar {
  private readonly compressor: Transform = createCompressor();
  private readonly output: Buffer[] = [];
  private readonly ended: Promise<unknown>;
  uncompressedBytes = 0;

  constructor() {
    this.compressor.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.ended = once(this.compressor, 'end');
  }

  async write(chunk: Buffer): Promise<void> {
    this.uncompressedBytes += chunk.length;
    if (!this.compressor.write(chunk)) await once(this.compressor, 'drain');
  }

  async finish(): Promise<Buffer> {
    this.uncompressedBytes += TAR_END.length;
    this.compressor.end(TAR_END);
    await this.ended;
    return Buffer.concat(this.output);
  }
}

/** Reads backup_label out of base.tar by walking the headers (it is the first entry, but nothing relies on that). */
async function readBackupLabel(baseTar: string): Promise<BackupLabel> {
  const file = await open(baseTar, 'r');
  try {
    let offset = 0;
    const block = Buffer.alloc(TAR_BLOCK);
    for (;;) {
      const { bytesRead } = await file.read(block, 0, TAR_BLOCK, offset);
      const header = bytesRead === TAR_BLOCK ? parseTarHeader(block) : undefined;
      if (!header) break;
      if (normalizeTarPath(header.path) === 'backup_label') {
        const content = Buffer.alloc(header.size);
        await file.read(content, 0, header.size, offset + TAR_BLOCK);
        return parseBackupLabel(content.toString('utf8'));
      }
      offset += TAR_BLOCK + header.size + tarPadding(header.size);
    }
  } finally {
    await file.close();
  }
  throw new InvalidInputError(`${baseTar} has no backup_label; pg_basebackup output is not a base backup`);
}

export interface BackupPushOptions {
  readonly permanent: boolean;
}

/**
 * `backup-push <pgdata>`: takes a base backup with `pg_basebackup -Ft -X none -c fast` and uploads it in WAL-G's
 * layout and order: data tars `part_NNN.tar.br`, then `pg_control.tar.br`, then
 * `backup_label.tar.br`, then `metadata.json`, and the sentinel last, so the backup exists only once complete.
 * Returns the backup name `base_<start WAL file>`.
 */
export async function backupPush(
  pgData: string,
  options: BackupPushOptions,
  store: ArchiveStore,
  config: LocalArchiverConfig,
): Promise<string> {
  const startTime = walgTimeNow();
  const server = await runPgTool(config, 'psql', [
    '-X',
    '-A',
    '-t',
    '-F',
    '|',
    '-c',
    "select current_setting('server_version_num'), system_identifier from pg_control_system()",
  ]);
  const [versionText, systemIdText] = server.stdout.trim().split('|');
  if (!versionText || !systemIdText) {
    throw new InvalidInputError(
      `psql returned ${JSON.stringify(server.stdout.trim())} for server version and system id`,
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), 'wal-g-local-backup-'));
  try {
    await runPgTool(config, 'pg_basebackup', [
      '-D',
      workDir,
      '-Ft',
      '-X',
      'none',
      '-c',
      'fast',
      '--no-sync',
      '-l',
      'wal-g-local backup-push',
    ]);
    const baseTar = join(workDir, 'base.tar');
    const label = await readBackupLabel(baseTar);
    const name = `${BACKUP_NAME_PREFIX}${label.startWalFile}`;
    const tarKey = (file: string) => `${BASEBACKUPS_FOLDER}${name}/${TAR_PARTITIONS_FOLDER}${file}${WRITE_EXTENSION}`;

    let uncompressedSize = 0;
    let compressedSize = 0;
    let dataCatalogSize = 0;
    const upload = async (tar: CompressedTar, file: string) => {
      const body = await tar.finish();
      uncompressedSize += tar.uncompressedBytes;
      compressedSize += body.length;
      await store.put(tarKey(file), body);
    };

    const labelTar = new CompressedTar();
    const pgControlTar = new CompressedTar();
    let partNumber = 1;
    let part = new CompressedTar();
    const reader = new ByteReader(createReadStream(baseTar, { highWaterMark: 1024 * 1024 }));
    for (;;) {
      const block = await reader.readExactly(TAR_BLOCK);
      const header = block ? parseTarHeader(block) : undefined;
      if (!header) break;
      const path = normalizeTarPath(header.path);
      const entryBytes = TAR_BLOCK + header.size + tarPadding(header.size);
      dataCatalogSize += header.size;
      let target: CompressedTar;
      if (LABEL_FILES.has(path)) {
        target = labelTar;
      } else if (path === PG_CONTROL_FILE) {
        target = pgControlTar;
      } else {
        if (part.uncompressedBytes > 0 && part.uncompressedBytes + entryBytes > config.tarSizeThreshold) {
          await upload(part, `${TAR_PART_PREFIX}${String(partNumber).padStart(3, '0')}${TAR_SUFFIX}`);
          partNumber += 1;
          part = new CompressedTar();
        }
        target = part;
      }
      await target.write(header.block);
      for await (const piece of reader.pieces(header.size)) await target.write(piece);
      const padding = tarPadding(header.size);
      if (padding > 0) await target.write((await reader.readExactly(padding)) ?? Buffer.alloc(0));
    }
    await reader.drain();
    await upload(part, `${TAR_PART_PREFIX}${String(partNumber).padStart(3, '0')}${TAR_SUFFIX}`);
    await upload(pgControlTar, PG_CONTROL_TAR);
    await upload(labelTar, BACKUP_LABEL_TAR);

    const finishLsn = finishLsnFromManifest(await readFile(join(workDir, 'backup_manifest'), 'utf8'));
    const backup: PushedBackup = {
      startLsn: label.startLsn,
      finishLsn,
      pgVersion: Number(versionText),
      systemIdentifier: BigInt(systemIdText),
      uncompressedSize,
      compressedSize,
      dataCatalogSize,
      startTime,
      finishTime: walgTimeNow(),
      hostname: hostname(),
      dataDir: resolve(pgData),
      isPermanent: options.permanent,
    };
    await store.put(`${BASEBACKUPS_FOLDER}${name}/${METADATA_FILE_NAME}`, metadataJson(backup), 'application/json');
    await store.put(`${BASEBACKUPS_FOLDER}${name}${SENTINEL_SUFFIX}`, sentinelJson(backup), 'application/json');
    return name;
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}
