import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../lib/domain/errors.ts';
import { parseLsn } from '../../lib/domain/wal/lsn.ts';
import { finishLsnFromManifest, parseBackupLabel } from '../../lib/local-archiver/backup-label.ts';
import { formatWalgTime } from '../../lib/local-archiver/backup-metadata.ts';
import { loadLocalArchiverConfig, parseS3Prefix } from '../../lib/local-archiver/config.ts';
import { extractTar } from '../../lib/local-archiver/tar-extract.ts';
import { checkArchivableName } from '../../lib/local-archiver/wal-file-name.ts';

const scratch = mkdtempSync(join(tmpdir(), 'walcat-archiver-parsing-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('wal-g-local parsing', () => {
  it.each([
    ['s3://bucket/some/path', { bucket: 'bucket', prefix: 'some/path/' }],
    ['s3://bucket/some/path/', { bucket: 'bucket', prefix: 'some/path/' }],
    ['s3://bucket', { bucket: 'bucket', prefix: '' }],
    ['s3://bucket/', { bucket: 'bucket', prefix: '' }],
  ])('parses WALG_S3_PREFIX %s', (value, expected) => {
    expect(parseS3Prefix(value)).toEqual(expected);
  });

  it('rejects a missing or malformed WALG_S3_PREFIX naming the variable', () => {
    expect(() => loadLocalArchiverConfig({})).toThrow(ConfigError);
    expect(() => loadLocalArchiverConfig({ WALG_S3_PREFIX: 'bucket/x' })).toThrow(/WALG_S3_PREFIX/);
    expect(() => loadLocalArchiverConfig({ WALG_S3_PREFIX: 's3://b/x', WALG_TAR_SIZE_THRESHOLD: 'big' })).toThrow(
      /WALG_TAR_SIZE_THRESHOLD/,
    );
  });

  it('prefers AWS_ENDPOINT_URL_S3 over AWS_ENDPOINT_URL and keeps only libpq variables for child tools', () => {
    const config = loadLocalArchiverConfig({
      WALG_S3_PREFIX: 's3://b/x',
      AWS_ENDPOINT_URL: 'http://general',
      AWS_ENDPOINT_URL_S3: 'http://s3-only',
      AWS_ACCESS_KEY_ID: 'k',
      AWS_SECRET_ACCESS_KEY: 's',
      PGHOST: '/sock',
      SECRET_OF_SOMEONE_ELSE: 'x',
    });
    expect(config.s3Endpoint).toBe('http://s3-only');
    expect(config.credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
    expect(config.libpqEnv).toEqual({ PGHOST: '/sock' });
  });

  it('reads the start of a backup from backup_label and the stop LSN from backup_manifest', () => {
    const label = parseBackupLabel(
      [
        'START WAL LOCATION: 0/2000028 (file 000000010000000000000002)',
        'CHECKPOINT LOCATION: 0/2000060',
        'BACKUP METHOD: streamed',
        'BACKUP FROM: primary',
        'START TIME: 2026-11-21 10:30:00 UTC',
        'LABEL: wal-g-local backup-push',
        'START TIMELINE: 1',
        '',
      ].join('\n'),
    );
    expect(label).toEqual({
      startLsn: parseLsn('0/2000028'),
      startWalFile: '000000010000000000000002',
      timeline: 1,
      startTimeText: '2026-11-21 10:30:00 UTC',
    });
    expect(() => parseBackupLabel('LABEL: x\n')).toThrow(/START WAL LOCATION/);
    const manifest = JSON.stringify({
      'PostgreSQL-Backup-Manifest-Version': 1,
      Files: [],
      'WAL-Ranges': [{ Timeline: 1, 'Start-LSN': '0/2000028', 'End-LSN': '0/2000100' }],
    });
    expect(finishLsnFromManifest(manifest)).toBe(parseLsn('0/2000100'));
    expect(() => finishLsnFromManifest('{}')).toThrow(/End-LSN/);
  });

  it('formats times as WAL-G does, RFC3339 UTC with microseconds', () => {
    expect(formatWalgTime(new Date('2026-11-21T10:30:00.123Z'), 456)).toBe('2026-11-21T10:30:00.123456Z');
    expect(formatWalgTime(new Date('2026-11-21T10:30:00Z'))).toBe('2026-11-21T10:30:00.000000Z');
  });

  it.each([
    ['000000010000000A000000FF', true],
    ['00000002.history', true],
    ['000000010000000A00000042.partial', true],
    ['000000010000000A00000042.00000028.backup', true],
    ['000000010000000a000000ff', false],
    ['RECOVERYXLOG', false],
    ['../000000010000000A000000FF', false],
  ])('accepts only names PostgreSQL archives: %s', (name, valid) => {
    if (valid) expect(checkArchivableName(name)).toBe(name);
    else expect(() => checkArchivableName(name)).toThrow(/not a WAL segment/);
  });

  it('extracts a ustar archive with directories, modes and a file larger than one read chunk', async () => {
    const source = join(scratch, 'src');
    mkdirSync(join(source, 'base', '1'), { recursive: true, mode: 0o700 });
    const big = Buffer.alloc(3 * 1024 * 1024 + 123);
    for (let i = 0; i < big.length; i += 1) big[i] = (i * 31) % 251;
    writeFileSync(join(source, 'base', '1', '1259'), big, { mode: 0o600 });
    writeFileSync(join(source, 'PG_VERSION'), '15\n', { mode: 0o640 });
    const archive = join(scratch, 'base.tar');
    execFileSync('tar', ['--format=ustar', '-cf', archive, '-C', source, 'PG_VERSION', 'base']);
    const destination = join(scratch, 'dest');
    mkdirSync(destination);
    const entries = await extractTar(createReadStream(archive, { highWaterMark: 64 * 1024 }), destination);
    expect(entries).toBe(4);
    expect(readFileSync(join(destination, 'base', '1', '1259')).equals(big)).toBe(true);
    expect(readFileSync(join(destination, 'PG_VERSION'), 'utf8')).toBe('15\n');
    expect(statSync(join(destination, 'PG_VERSION')).mode & 0o777).toBe(0o640);
    expect(statSync(join(destination, 'base', '1')).mode & 0o777).toBe(0o700);
  });

  it('refuses tar entries that would land outside the destination', async () => {
    const archive = join(scratch, 'evil.tar');
    writeFileSync(join(scratch, 'evil'), 'x');
    execFileSync('tar', ['--format=ustar', '-cf', archive, '-C', scratch, '--transform=s,^,../,', 'evil']);
    const destination = join(scratch, 'evil-dest');
    mkdirSync(destination);
    await expect(extractTar(createReadStream(archive), destination)).rejects.toThrow(/outside the data directory/);
  });
});
