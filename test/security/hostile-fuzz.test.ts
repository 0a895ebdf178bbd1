/**
 * Fuzzing beyond the corpus (fast-check, fixed seeds): random keys, event documents, sentinel texts, config values,
 * restore point names and CLI argument lists. Properties: every input ends in a typed, explained refusal or a counted
 * skip, never an unexpected exception or a failed ingest record; accepted restore point names reach
 * postgresql.auto.conf exactly and never a shell (run in the bash sandbox with a canary). Run counts go to
 * test-output/hostile-fuzz.json for docs/resilience.md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import type { CliCommand } from '../../lib/cli/cli-command.ts';
import { type CliIo, main } from '../../lib/cli/main.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { ConfigError, InvalidInputError } from '../../lib/domain/errors.ts';
import { decodeS3EventKey } from '../../lib/domain/layout/s3-event-key.ts';
import { postgresConfString } from '../../lib/domain/restore/restore-scripts.ts';
import { InvalidRestoreTargetError, parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import type { CatalogStore } from '../../lib/ports/catalog-store.ts';
import type { ObjectStore } from '../../lib/ports/object-store.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';

const RUNS = 400;
const counts: Record<string, number> = {};
const count = (what: string) => {
  counts[what] = (counts[what] ?? 0) + 1;
};

afterAll(() => {
  const dir = join(import.meta.dirname, '..', '..', 'test-output');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'hostile-fuzz.json'), `${JSON.stringify(counts, null, 2)}\n`);
});

const CONFIG_TEXT = [
  'catalogTable: walcat-fuzz',
  'clusters:',
  '  - id: orders-main',
  '    storage: s3://pg-backups/orders-main',
  '    retention: { keepLast: 2, pitrWindow: 7d }',
  '    alerts: { slackWebhookParameter: /walcat/slack/orders }',
].join('\n');
const config = parseWalcatConfig(CONFIG_TEXT, 'fuzz config');

/** A catalog that accepts every change and an object store where every object exists with a small text. */
const acceptingCatalog = {
  applyWalChanges: async () => ({ applied: 0, stale: 0 }),
  applyBackupChanges: async () => ({ applied: 0, stale: 0 }),
} as unknown as CatalogStore;
const objects = {
  getObjectText: async () => '{}',
  getObjectBytes: async () => new Uint8Array([1, 2, 3]),
} as unknown as ObjectStore;

/** Keys built from pieces an attacker would try, and from raw percent-encoded bytes. */
const hostileKey = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc
    .array(
      fc.oneof(
        fc.constantFrom('orders-main/', 'wal_005/', 'basebackups_005/', '../', '%2F', '%252F', '+', '%', '%ZZ', '%00'),
        fc.constantFrom('000000010000000000000001', '.lz4', '.history', '_backup_stop_sentinel.json', 'base_', '$(id)'),
        fc
          .uint8Array({ minLength: 1, maxLength: 4 })
          .map((bytes) => [...bytes].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')),
        fc.string({ unit: 'grapheme', maxLength: 6 }),
      ),
      { maxLength: 10 },
    )
    .map((parts) => parts.join('')),
);

const s3Event = (key: string) => ({
  Records: [
    {
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      eventTime: '2026-11-20T10:00:00Z',
      s3: { bucket: { name: 'pg-backups' }, object: { key, size: 1, eTag: 'e', sequencer: '0A' } },
    },
  ],
});

describe('fuzzed object keys', () => {
  it('decoding refuses only with InvalidInputError, and ingest skips or applies every key without failing a record', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileKey, { minLength: 1, maxLength: 10 }), async (keys) => {
        for (const key of keys) {
          try {
            decodeS3EventKey(key);
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidInputError);
            expect((error as Error).message).toContain(JSON.stringify(key));
          }
        }
        const records = parseIngestInvocation({
          Records: keys.map((key, i) => ({
            messageId: `m${i}`,
            eventSource: 'aws:sqs',
            body: JSON.stringify(s3Event(key)),
          })),
        });
        const outcome = await ingestObjectEvents(
          { catalog: acceptingCatalog, objects, decompress: () => undefined, clusters: config.clusters },
          records,
        );
        expect(outcome.failedRecordIds).toEqual([]);
        expect(outcome.ingested + outcome.skipped.length).toBe(keys.length);
        for (const skipped of outcome.skipped) expect(skipped.reason.length).toBeGreaterThan(15);
        for (let i = 0; i < keys.length; i++) count('keys');
      }),
      { numRuns: RUNS, seed: 9001 },
    );
  });
});

describe('fuzzed event documents', () => {
  it('any JSON is parsed into events and malformed records without throwing', () => {
    const document = fc.oneof(
      fc.jsonValue(),
      fc.record({ Records: fc.array(fc.jsonValue(), { maxLength: 5 }) }),
      fc.record({
        Records: fc.array(
          fc.record({
            eventSource: fc.constantFrom('aws:s3', 'aws:sqs', 'x'),
            eventName: fc.oneof(fc.constantFrom('ObjectCreated:Put', 'ObjectRemoved:Delete'), fc.string()),
            eventTime: fc.oneof(fc.constant('2026-11-20T10:00:00Z'), fc.string()),
            s3: fc.jsonValue(),
            body: fc.oneof(
              fc.string(),
              fc.jsonValue().map((v) => JSON.stringify(v)),
            ),
            messageId: fc.string(),
          }),
          { maxLength: 5 },
        ),
      }),
    );
    fc.assert(
      fc.property(document, (value) => {
        const records = parseIngestInvocation(value);
        for (const record of records) {
          for (const event of record.events) expect(typeof event.key).toBe('string');
          for (const malformed of record.malformed ?? []) expect(malformed.reason.length).toBeGreaterThan(10);
        }
        count('eventDocuments');
      }),
      { numRuns: RUNS, seed: 9002 },
    );
  });
});

describe('fuzzed sentinel and metadata.json texts', () => {
  const interpret = createBackupInterpreter(config.clusters);
  const name = 'base_000000010000000000000002';
  const source = (text: string) => ({
    key: `orders-main/basebackups_005/${name}_backup_stop_sentinel.json`,
    present: true,
    text,
    observedAt: new Date(0),
  });
  it('every text becomes a backup or a problem that names the backup, never an exception', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .dictionary(
          fc.constantFrom(
            'LSN',
            'FinishLSN',
            'PgVersion',
            'SystemIdentifier',
            'StartTime',
            'FinishTime',
            'IsPermanent',
          ),
          fc.oneof(fc.jsonValue(), fc.constantFrom('1e400', '-1', '18446744073709551616')),
        )
        .map((fields) => JSON.stringify(fields).replace(/"(1e400|-1|18446744073709551616)"/g, '$1')),
    );
    fc.assert(
      fc.property(text, fc.option(text, { nil: undefined }), (sentinel, metadata) => {
        const result = interpret(
          'orders-main' as ClusterId,
          name,
          source(sentinel),
          metadata === undefined
            ? undefined
            : { ...source(metadata), key: `orders-main/basebackups_005/${name}/metadata.json` },
        );
        if (result.backup === undefined) expect(result.problem).toContain(name);
        count('backupDocuments');
      }),
      { numRuns: RUNS, seed: 9003 },
    );
  });
});

describe('fuzzed config values', () => {
  const fields = [
    'catalogTable',
    'clusters[0].id',
    'clusters[0].storage',
    'clusters[0].layout',
    'clusters[0].walSegmentSize',
    'clusters[0].retention.keepLast',
    'clusters[0].retention.pitrWindow',
    'clusters[0].retention.timezone',
    'clusters[0].alerts.slackWebhookParameter',
    'clusters[0].alerts.archiveLagMax',
    'clusters[0].backupSchedule',
  ];
  it('a random value in any field is accepted or refused with a ConfigError naming the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.jsonValue(), (field, value) => {
        const document = {
          catalogTable: 'walcat-fuzz',
          clusters: [
            {
              id: 'orders-main',
              storage: 's3://pg-backups/orders-main',
              retention: { keepLast: 2, pitrWindow: '7d' },
              alerts: {},
            },
          ],
        } as Record<string, unknown>;
        const path = field.replace('[0]', '.0').split('.');
        let target = document as Record<string, unknown>;
        for (const part of path.slice(0, -1)) target = target[part] as Record<string, unknown>;
        target[path.at(-1) as string] = value;
        try {
          parseWalcatConfig(JSON.stringify(document), 'fuzz.yml');
          count('configAccepted');
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as Error).message).toMatch(/^fuzz\.yml/);
          count('configRefused');
        }
      }),
      { numRuns: RUNS, seed: 9004 },
    );
  });
});

describe('fuzzed restore point names', () => {
  it('a name is refused with InvalidRestoreTargetError, or written as one exact postgresql.conf string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (name) => {
        try {
          const target = parseRestoreTarget({ name });
          expect(target).toEqual({ kind: 'name', name });
          const quoted = postgresConfString(name);
          expect(quoted.slice(1, -1).replaceAll("''", "'").replaceAll('\\\\', '\\')).toBe(name);
          expect(quoted.slice(1, -1).replaceAll("''", '')).not.toContain("'");
          count('restoreNamesAccepted');
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidRestoreTargetError);
          count('restoreNamesRefused');
        }
      }),
      { numRuns: RUNS, seed: 9005 },
    );
  });
});

describe('fuzzed CLI arguments', () => {
  const echo: CliCommand = {
    name: 'backups',
    summary: 'echo',
    async run(context) {
      context.stdout(JSON.stringify(context.positionals));
      return 0;
    },
  };
  it('any argument list ends in exit 0, 1 or 2 with a message, never an exception', async () => {
    const arg = fc.oneof(
      fc.constantFrom('backups', '--cluster', 'orders-main', '--json', '--config', '--help', '-h', '--', '-', '--x=1'),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(arg, { maxLength: 8 }), async (argv) => {
        const err: string[] = [];
        const io: CliIo = { stdout: () => undefined, stderr: (t) => err.push(t), now: () => new Date(0), env: {} };
        const code = await main(argv, io, {
          commands: [{ name: echo.name, load: async () => echo }],
          config: async () => config,
          close: () => undefined,
        });
        expect([0, 1, 2]).toContain(code);
        if (code !== 0) expect(err.join('').length).toBeGreaterThan(10);
        count('cliArgumentLists');
      }),
      { numRuns: RUNS, seed: 9006 },
    );
  });
});
