/**
 * The hostile-input corpus (test/fixtures/hostile/manifest.json): every key, sentinel and metadata.json, event,
 * config file, CLI argument list and restore target in it gets the outcome the manifest names, through the real code
 * paths (ingest on s3rver + dynalite, the config parser, the CLI's main, the restore target parser and the restore
 * scripts run in a bash sandbox). Each ends in a clear error or a counted skip; none fails an ingest batch, none
 * reaches a shell unquoted. The counts are written to test-output/hostile-inputs.json for docs/resilience.md.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseIngestInvocation } from '../../lib/adapters/events/s3-notification-events.ts';
import type { CliIo } from '../../lib/cli/main.ts';
import { main } from '../../lib/cli/main.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { createBackupInterpreter } from '../../lib/domain/catalog/backup-interpreter.ts';
import type { ClusterId } from '../../lib/domain/cluster.ts';
import { ConfigError } from '../../lib/domain/errors.ts';
import { buildRestoreStepScript, restoredMarkerName } from '../../lib/domain/restore/restore-scripts.ts';
import { InvalidRestoreTargetError, parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { timelineId } from '../../lib/domain/wal/timeline.ts';
import { ingestObjectEvents } from '../../lib/use-cases/ingest-object-events.ts';
import { createScriptSandbox, type ScriptSandbox } from '../domain/host/script-sandbox.ts';
import { BUCKET, type CatalogServices, readers, startCatalogServices } from '../use-cases/catalog-test-setup.ts';

const HOSTILE = new URL('../fixtures/hostile/', import.meta.url);
const ROOT = join(import.meta.dirname, '..', '..');

interface KeyCase {
  readonly name: string;
  readonly rawKey: string;
  readonly bucket?: string;
  readonly cluster?: string;
  readonly expect: 'catalogued' | 'skipped' | 'malformed';
  readonly reason?: string;
}
interface DocumentCase {
  readonly name: string;
  readonly file?: string;
  readonly generate?: { readonly bytes: number };
  readonly as: 'sentinel' | 'metadata';
  readonly expect: 'unreadable' | 'complete';
  readonly problem?: string;
  /** Tested on the interpreter directly where the emulator cannot serve the object as S3 would. */
  readonly via?: 'interpreter';
  readonly emulatorNote?: string;
}
interface Manifest {
  readonly keys: readonly KeyCase[];
  readonly documents: readonly DocumentCase[];
  readonly configs: {
    readonly refused: readonly { file?: string; name?: string; generate?: { bytes: number }; message: string }[];
    readonly accepted: readonly { file: string; why: string }[];
  };
  readonly cli: readonly { args: string[]; exit: number; stderr: string; stdoutJson?: boolean }[];
  readonly restoreTargets: {
    readonly refused: readonly { input: Record<string, string>; message: string }[];
    readonly accepted: readonly { name: string }[];
  };
}

const manifest = JSON.parse(readFileSync(new URL('manifest.json', HOSTILE), 'utf8')) as Manifest;
const tally = { tried: 0, catalogued: 0, skipped: 0, malformed: 0, refused: 0, accepted: 0, losses: 0 };

const CONFIG = [
  'catalogTable: walcat-hostile',
  'clusters:',
  '  - id: orders-main',
  `    storage: s3://${BUCKET}/orders-main`,
  '    retention: { keepLast: 2, pitrWindow: 7d }',
  '  - id: orders-sub',
  `    storage: s3://${BUCKET}/orders-main/sub`,
  '    retention: { keepLast: 2, pitrWindow: 7d }',
].join('\n');

let services: CatalogServices;
beforeAll(async () => {
  services = await startCatalogServices(parseWalcatConfig(CONFIG, 'hostile test config'));
});
afterAll(async () => {
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  writeFileSync(join(ROOT, 'test-output', 'hostile-inputs.json'), `${JSON.stringify(tally, null, 2)}\n`);
  await services?.close();
});

let sequencer = 0x100;
const s3Record = (bucket: string, rawKey: string) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  awsRegion: 'us-east-1',
  eventTime: '2026-11-20T10:00:00.000Z',
  eventName: 'ObjectCreated:Put',
  s3: {
    bucket: { name: bucket },
    object: { key: rawKey, size: 16, eTag: 'abc', sequencer: (++sequencer).toString(16) },
  },
});
const sqsBatch = (bodies: readonly unknown[]) => ({
  Records: bodies.map((body, index) => ({
    messageId: `m-${index}`,
    receiptHandle: 'r',
    body: JSON.stringify(body),
    eventSource: 'aws:sqs',
  })),
});

async function liveWalKeys(catalog: Awaited<ReturnType<CatalogServices['newCatalog']>>, cluster: string) {
  const keys: string[] = [];
  for await (const record of catalog.listWalObjects(cluster as ClusterId, timelineId(1))) keys.push(record.key);
  return keys;
}

const decodedOrRaw = (raw: string): string => {
  try {
    return decodeURIComponent(raw.replaceAll('+', ' '));
  } catch {
    return raw;
  }
};

describe('hostile object keys through ingest', () => {
  it('each key is catalogued, skipped with its reason, or refused as malformed, all in one batch that never fails', async () => {
    const catalog = await services.newCatalog();
    const bodies = manifest.keys.map((c) => ({ Records: [s3Record(c.bucket ?? BUCKET, c.rawKey)] }));
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog, clusters: services.config.clusters },
      parseIngestInvocation(sqsBatch(bodies)),
    );
    expect(outcome.failedRecordIds).toEqual([]);
    const catalogued = new Set([
      ...(await liveWalKeys(catalog, 'orders-main')),
      ...(await liveWalKeys(catalog, 'orders-sub')),
    ]);
    for (const c of manifest.keys) {
      tally.tried++;
      tally[c.expect]++;
      const key = decodedOrRaw(c.rawKey);
      const label = `${c.name} (${c.rawKey.slice(0, 60)})`;
      if (c.expect === 'catalogued') {
        expect(catalogued.has(key), label).toBe(true);
        if (c.cluster) expect(await liveWalKeys(catalog, c.cluster), label).toContain(key);
        continue;
      }
      expect(catalogued.has(key), label).toBe(false);
      const reported = outcome.skipped.filter((s) =>
        c.expect === 'malformed' ? s.key === c.rawKey : s.key === `s3://${c.bucket ?? BUCKET}/${key}`,
      );
      expect(reported, label).toHaveLength(1);
      expect(reported[0]?.reason, label).toMatch(new RegExp(c.reason ?? '.'));
    }
    expect(outcome.skipped).toHaveLength(manifest.keys.filter((c) => c.expect !== 'catalogued').length);
  });

  it('random bytes as keys: malformed or skipped, never a failure', async () => {
    const catalog = await services.newCatalog();
    let seed = 7;
    const byte = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 256;
    };
    const raws = Array.from({ length: 200 }, (_, i) => {
      const bytes = Array.from({ length: 1 + (i % 40) }, byte);
      return `orders-main/wal_005/${bytes.map((b) => `%${b.toString(16).padStart(2, '0').toUpperCase()}`).join('')}`;
    });
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog, clusters: services.config.clusters },
      parseIngestInvocation(sqsBatch(raws.map((raw) => ({ Records: [s3Record(BUCKET, raw)] })))),
    );
    expect(outcome.failedRecordIds).toEqual([]);
    expect(outcome.skipped).toHaveLength(raws.length);
    for (const skipped of outcome.skipped) expect(skipped.reason).toMatch(/not valid URL encoding|WAL|wal_005/);
    tally.tried += raws.length;
    tally.skipped += raws.length;
  });

  it('a batch of 10,000 records: 1,000 segments catalogued, 9,000 hostile records skipped, no failure', async () => {
    const catalog = await services.newCatalog();
    const hostile = manifest.keys.filter((c) => c.expect !== 'catalogued');
    const records = Array.from({ length: 10_000 }, (_, i) => {
      if (i % 10 === 0) {
        const segNo = 0x1000 + i / 10;
        const hex = (n: number) => n.toString(16).toUpperCase().padStart(8, '0');
        return s3Record(BUCKET, `orders-main/wal_005/00000001${hex(Math.floor(segNo / 256))}${hex(segNo % 256)}.br`);
      }
      const c = hostile[i % hostile.length] as KeyCase;
      return s3Record(c.bucket ?? BUCKET, c.rawKey);
    });
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog, clusters: services.config.clusters },
      parseIngestInvocation({ Records: records }),
    );
    expect(outcome.failedRecordIds).toEqual([]);
    expect(outcome.ingested).toBe(1000);
    expect(outcome.skipped).toHaveLength(9000);
    expect(await liveWalKeys(catalog, 'orders-main')).toHaveLength(1000);
    tally.tried += 10_000;
    tally.catalogued += 1000;
    tally.skipped += 9000;
  }, 60_000);
});

describe('hostile sentinels and metadata.json', () => {
  it('each is recorded as an unreadable backup whose problem names the field, and the batch goes on', async () => {
    const catalog = await services.newCatalog();
    const before = services.s3.events().length;
    const goodSentinel = readFileSync(new URL('../fixtures/walg/sentinel-v2-full.json', import.meta.url), 'utf8');
    const names = manifest.documents.map(
      (_, i) => `base_0000000100000000000000${(0x40 + i).toString(16).toUpperCase().padStart(2, '0')}`,
    );
    for (const [i, c] of manifest.documents.entries()) {
      if (c.via === 'interpreter') continue;
      const body = c.file ? readFileSync(new URL(c.file, HOSTILE)) : Buffer.alloc(c.generate?.bytes ?? 0, '{');
      const folder = `orders-main/basebackups_005/${names[i]}`;
      if (c.as === 'metadata') await services.objects.putObject(BUCKET, `${folder}/metadata.json`, body);
      await services.objects.putObject(
        BUCKET,
        `${folder}_backup_stop_sentinel.json`,
        c.as === 'sentinel' ? body : goodSentinel,
      );
    }
    const events = services.s3.events().slice(before);
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog, clusters: services.config.clusters },
      events.flatMap((event) => parseIngestInvocation(event)),
    );
    expect(outcome.failedRecordIds).toEqual([]);
    for (const [i, c] of manifest.documents.entries()) {
      tally.tried++;
      tally.refused++;
      if (c.via === 'interpreter') {
        const interpretation = createBackupInterpreter(services.config.clusters)(
          'orders-main' as ClusterId,
          names[i] as string,
          {
            key: `orders-main/basebackups_005/${names[i]}_backup_stop_sentinel.json`,
            present: true,
            text: '',
            observedAt: new Date(0),
          },
          undefined,
        );
        expect(interpretation.backup, c.name).toBeUndefined();
        expect(interpretation.problem, c.name).toMatch(new RegExp(c.problem ?? '.'));
        continue;
      }
      const record = await catalog.getBackup('orders-main' as ClusterId, names[i] as string);
      expect(record?.status, c.name).toBe(c.expect);
      if (c.problem === undefined) {
        expect(record?.problem, c.name).toBeUndefined();
        continue;
      }
      expect(record?.problem, c.name).toMatch(new RegExp(c.problem));
      expect(record?.problem, c.name).toContain(names[i]);
    }
  });
});

describe('hostile event shapes', () => {
  const files = readdirSync(new URL('events/', HOSTILE)).filter((name) => name.endsWith('.json'));
  it.each(files)('%s: parsed into the expected events and malformed records, ingest never fails', async (file) => {
    const { expect: expected, invocation } = JSON.parse(readFileSync(new URL(`events/${file}`, HOSTILE), 'utf8'));
    const records = parseIngestInvocation(invocation);
    const events = records.flatMap((record) => record.events);
    const malformed = records.flatMap((record) => record.malformed ?? []);
    expect(events).toHaveLength(expected.events);
    expect(malformed).toHaveLength(expected.malformed);
    for (const skipped of malformed) expect(skipped.reason.length).toBeGreaterThan(10);
    const outcome = await ingestObjectEvents(
      { ...readers(services), catalog: await services.newCatalog(), clusters: services.config.clusters },
      records,
    );
    expect(outcome.failedRecordIds).toEqual([]);
    tally.tried++;
    tally.malformed += expected.malformed > 0 ? 1 : 0;
  });
});

describe('hostile config files', () => {
  it.each(manifest.configs.refused.map((c) => ({ ...c, title: c.file ?? c.name })))(
    '$title: refused with a ConfigError naming the file and the field',
    (c) => {
      const text = c.file
        ? readFileSync(new URL(c.file, HOSTILE), 'utf8')
        : `${'# padding\n'.repeat(Math.floor((c.generate?.bytes ?? 0) / 10))}catalogTable: x\nclusters: []\n`;
      const source = c.file ?? 'ten-megabytes.yml';
      let error: unknown;
      try {
        parseWalcatConfig(text, source);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message.startsWith(source)).toBe(true);
      expect((error as Error).message).toMatch(new RegExp(c.message));
      tally.tried++;
      tally.refused++;
    },
  );

  it.each(manifest.configs.accepted)('$file: accepted ($why)', (c) => {
    expect(parseWalcatConfig(readFileSync(new URL(c.file, HOSTILE), 'utf8'), c.file).clusters.length).toBeGreaterThan(
      0,
    );
    tally.tried++;
    tally.accepted++;
  });
});

describe('hostile CLI arguments', () => {
  const configPath = join(mkdtempSync(join(tmpdir(), 'walcat-hostile-cli-')), 'walcat.config.yml');
  writeFileSync(configPath, CONFIG.split('\n').slice(0, 5).join('\n'));
  afterAll(() => rmSync(join(configPath, '..'), { recursive: true, force: true }));

  it.each(manifest.cli)('walcat $args: exit $exit with a message that says what to fix', async (c) => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = {
      stdout: (text) => out.push(text),
      stderr: (text) => err.push(text),
      now: () => new Date('2026-11-21T10:00:00Z'),
      env: {
        WALCAT_CONFIG: configPath,
        AWS_REGION: 'us-east-1',
        AWS_ACCESS_KEY_ID: 'hostile',
        AWS_SECRET_ACCESS_KEY: 'hostile',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
        AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:9',
      },
    };
    const args = c.args.map((arg) => (arg.startsWith('test/fixtures/') ? join(ROOT, arg) : arg));
    const code = await main(args, io);
    expect(code, err.join('\n')).toBe(c.exit);
    expect(err.join('\n')).toMatch(new RegExp(c.stderr));
    expect(err.join('\n')).not.toMatch(/\n\s+at /);
    if (c.stdoutJson) expect(JSON.parse(out.join(''))).toEqual({ error: expect.any(String) });
    tally.tried++;
    tally.refused++;
  });
});

describe('hostile restore targets', () => {
  it.each(manifest.restoreTargets.refused)('$input: refused with InvalidRestoreTargetError', (c) => {
    expect(() => parseRestoreTarget(c.input)).toThrow(InvalidRestoreTargetError);
    expect(() => parseRestoreTarget(c.input)).toThrow(new RegExp(c.message));
    tally.tried++;
    tally.refused++;
  });

  describe('accepted names reach postgresql.auto.conf as data, never as shell or as another setting', () => {
    let sandbox: ScriptSandbox;
    beforeAll(() => {
      sandbox = createScriptSandbox();
    });
    afterAll(() => sandbox?.close());

    it.each(manifest.restoreTargets.accepted)('$name', (c) => {
      const target = parseRestoreTarget({ name: c.name });
      const pgData = join(sandbox.root, 'pgdata');
      mkdirSync(pgData, { recursive: true });
      // What fetch-backup leaves: the marker that says this data directory is this restore's copy.
      writeFileSync(join(pgData, restoredMarkerName('r-hostile')), '');
      const script = buildRestoreStepScript('configure-recovery', {
        jobId: 'r-hostile',
        host: {
          target: { tagKey: 'walcat:cluster', tagValue: 'orders-main' },
          pgData,
          osUser: 'postgres',
          service: { kind: 'systemd', unit: 'postgresql@15-main' },
          walgBinary: 'wal-g',
        },
        baseBackup: 'base_000000010000000000000004',
        target,
        timeline: 1,
        action: 'promote',
        inPlace: false,
        recoveryTimeoutSeconds: 60,
      });
      const run = sandbox.run(script);
      expect(run.code, run.stderr).toBe(0);
      expect(sandbox.intact()).toBe(true);
      const conf = readFileSync(join(pgData, 'postgresql.auto.conf'), 'utf8');
      const settings = conf
        .split('\n')
        .filter((line) => /^\w+ = /.test(line))
        .map((line) => line.slice(0, line.indexOf(' ')));
      expect(settings.filter((name) => name === 'recovery_target_name')).toHaveLength(1);
      expect(settings).not.toContain('restore_command_injected');
      const line = conf.split('\n').find((l) => l.startsWith('recovery_target_name = ')) as string;
      const quoted = line.slice('recovery_target_name = '.length);
      expect(quoted.startsWith("'") && quoted.endsWith("'")).toBe(true);
      expect(quoted.slice(1, -1).replaceAll("''", "'").replaceAll('\\\\', '\\')).toBe(c.name);
      expect(settings.filter((name) => name === 'restore_command')).toHaveLength(1);
      tally.tried++;
      tally.accepted++;
    });
  });
});
