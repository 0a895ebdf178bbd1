import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  localArchiverCommand,
  localArchiverConfLine,
  WAL_G_LOCAL_BIN,
} from '../../lib/local-archiver/archiver-command.ts';

const scratch = mkdtempSync(join(tmpdir(), 'walcat-archiver-command-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** PostgreSQL's expansion of archive_command/restore_command placeholders (`%p`, `%f`, `%%`). */
function expandLikePostgres(command: string, path: string, file: string): string {
  return command.replace(/%(.)/g, (whole, letter: string) =>
    letter === 'p' ? path : letter === 'f' ? file : letter === '%' ? '%' : whole,
  );
}

/** A stand-in for node that prints the variables and arguments it received, one per line. */
function echoProgram(): string {
  const program = join(scratch, 'echo-node.sh');
  writeFileSync(program, '#!/bin/sh\nprintf "%s\\n" "$WALG_S3_PREFIX" "$AWS_SECRET_ACCESS_KEY" "$@"\n');
  chmodSync(program, 0o755);
  return program;
}

describe('localArchiverCommand', () => {
  const env = {
    WALG_S3_PREFIX: "s3://bucket/it's 100% ok/$HOME",
    AWS_SECRET_ACCESS_KEY: 'a"b\\c%pd `x`',
  };

  it('survives PostgreSQL placeholder expansion and the shell with quotes, percent signs and dollars intact', () => {
    const command = localArchiverCommand('wal-fetch', env, echoProgram());
    const expanded = expandLikePostgres(command, 'pg_wal/RECOVERYXLOG', '000000010000000000000002');
    const output = execFileSync('/bin/sh', ['-c', expanded], { encoding: 'utf8' });
    expect(output.split('\n').slice(0, 6)).toEqual([
      env.WALG_S3_PREFIX,
      env.AWS_SECRET_ACCESS_KEY,
      WAL_G_LOCAL_BIN,
      'wal-fetch',
      '000000010000000000000002',
      'pg_wal/RECOVERYXLOG',
    ]);
  });

  it('passes %p to wal-push and refuses variable names the shell cannot assign', () => {
    const command = localArchiverCommand('wal-push', { WALG_S3_PREFIX: 's3://b/p' }, '/usr/bin/node');
    expect(command).toBe(`WALG_S3_PREFIX='s3://b/p' '/usr/bin/node' '${WAL_G_LOCAL_BIN}' wal-push "%p"`);
    expect(() => localArchiverCommand('wal-push', { 'BAD-NAME': 'x' })).toThrow(/not a valid shell identifier/);
  });

  it('writes a postgresql.conf line with the command quoted as a conf string', () => {
    const line = localArchiverConfLine('wal-fetch', { WALG_S3_PREFIX: "s3://b/it's" });
    expect(line.startsWith("restore_command = '")).toBe(true);
    expect(line).toContain("WALG_S3_PREFIX=''s3://b/it''\\\\''''s''");
    expect(line.endsWith(`wal-fetch "%f" "%p"'`)).toBe(true);
  });
});
