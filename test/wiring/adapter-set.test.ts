/**
 * The one wiring seam: every root (deployed, local stack, `walcat --local`) hands each use case the same
 * dependencies. Restore steps keep their complete output where backup jobs keep theirs (the CloudWatch Logs group),
 * and the WAL watchdog gets the archiver signal and metrics everywhere, not only when deployed.
 */
import { describe, expect, it } from 'vitest';
import { InMemoryJobStore } from '../../lib/adapters/local/in-memory-job-store.ts';
import { EmfContinuityMetrics } from '../../lib/adapters/metrics/emf-continuity-metrics.ts';
import { parseRestoreTarget } from '../../lib/domain/restore/restore-target.ts';
import { historyTextOrUndefined } from '../../lib/domain/wal/history-file-content.ts';
import { latestArchiverSignal } from '../../lib/use-cases/archiver-signal.ts';
import { startRestore } from '../../lib/use-cases/start-restore.ts';
import { type AdapterSet, createAdapterSet } from '../../lib/wiring/adapter-set.ts';
import { HOST_COMMAND_LOG_GROUP } from '../../lib/wiring/host-command-adapters.ts';
import { localAdapterSet } from '../../lib/wiring/local-adapter-set.ts';
import { createS3Adapters, createS3AdaptersWithThaw } from '../../lib/wiring/s3-adapters.ts';
import { createSqsAdapters } from '../../lib/wiring/sqs-adapters.ts';
import { createSsmAdapters } from '../../lib/wiring/ssm-adapters.ts';
import { createStorageAdapters } from '../../lib/wiring/storage-adapters.ts';
import {
  cluster,
  FakeCatalog,
  FakeInstances,
  FakeTransport,
  minutes,
  restoreConfig,
} from '../use-cases/restore/restore-fixtures.ts';

const config = restoreConfig();
const stack = { s3Endpoint: 'http://127.0.0.1:1', dynamodbEndpoint: 'http://127.0.0.1:2' };

const roots: [string, (transport?: FakeTransport) => AdapterSet][] = [
  [
    'deployed',
    (transport) =>
      // As the deployed doors build it: functions/wal-watch.ts gives the metrics, ingest and sync the decompressor
      // and the S3 adapters, the host-command and restore functions the SSM adapters, the queueing ones the SQS ones.
      createAdapterSet({
        config,
        endpoints: { region: 'eu-west-1' },
        metrics: new EmfContinuityMetrics({ namespace: 'walcat' }),
        decompress: historyTextOrUndefined,
        s3: createS3Adapters,
        ssm: createSsmAdapters,
        sqs: createSqsAdapters,
        alertsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-alerts',
        archiverSignal: latestArchiverSignal,
        ...(transport ? { transport } : {}),
      }),
  ],
  [
    'local stack',
    (transport) =>
      localAdapterSet({ config, stack, ...(transport ? { transport } : {}), slackUrl: () => 'http://127.0.0.1:3' }),
  ],
  [
    'walcat --local',
    (transport) =>
      localAdapterSet({
        config,
        stack: { ...stack, ssmEndpoint: 'http://127.0.0.1:4' },
        ...(transport ? { transport } : {}),
      }),
  ],
];

describe.each(roots)('the %s adapter set', (_name, build) => {
  it('gives restores and drills the command log group backup jobs use', () => {
    const adapters = build();
    expect(adapters.backup().cloudWatchLogGroup).toBe(HOST_COMMAND_LOG_GROUP);
    for (const deps of [adapters.restore(), adapters.orchestrator(), adapters.drill()]) {
      expect(deps.commandOutput).toEqual({ cloudWatchLogGroup: HOST_COMMAND_LOG_GROUP });
    }
    adapters.close();
  });

  it('sends a restore step with its full output going to that log group', async () => {
    const transport = new FakeTransport();
    const adapters = build(transport);
    const deps = {
      ...adapters.orchestrator(),
      // Only the stores are swapped for in-memory ones; transport and commandOutput are the wiring's.
      catalog: new FakeCatalog().asStore(),
      jobs: new InMemoryJobStore(),
      instances: new FakeInstances(),
      now: () => minutes(200),
    };
    await startRestore(deps, {
      cluster: cluster(),
      target: parseRestoreTarget({ to: '2026-11-20T10:30:00Z' }),
      host: { kind: 'instance', instanceId: 'i-0a1b2c3d4e5f60718' },
      inPlace: false,
      jobId: 'r-wiring',
    });
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.cloudWatchLogGroup).toBe(HOST_COMMAND_LOG_GROUP);
    adapters.close();
  });

  it('gives the WAL watchdog the archiver signal and metrics', () => {
    const adapters = build();
    const deps = adapters.watchWal();
    expect(deps.archiverSignal).toBeTypeOf('function');
    expect(deps.metrics?.record).toBeTypeOf('function');
    adapters.close();
  });

  it('hands the host-command use cases, the tracker and the probe one transport', () => {
    const transport = new FakeTransport();
    const adapters = build(transport);
    expect(adapters.backup().transport).toBe(transport);
    expect(adapters.tracker().transport).toBe(transport);
    expect(adapters.probe().transport).toBe(transport);
    expect(adapters.restore().transport).toBe(transport);
    adapters.close();
  });
});

describe('an adapter set built without what a use case needs', () => {
  it('refuses to wire the watchdog without metrics, or ingest and sync without the history decompressor', () => {
    const adapters = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      s3: createS3Adapters,
      ssm: createSsmAdapters,
    });
    expect(() => adapters.watchWal()).toThrow(/without continuity metrics \(metrics\), which the WAL watchdog needs/);
    expect(() => adapters.ingest()).toThrow(/without a history decompressor/);
    expect(() => adapters.sync()).toThrow(/without a history decompressor/);
    adapters.close();
  });

  it('without the S3 adapters: refuses every use case that reads buckets, and restores and drills cannot thaw', () => {
    const adapters = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      decompress: historyTextOrUndefined,
      ssm: createSsmAdapters,
    });
    const withoutS3 = /without the S3 adapters \(s3\)/;
    expect(() => adapters.ingest()).toThrow(withoutS3);
    expect(() => adapters.sync()).toThrow(withoutS3);
    expect(() => adapters.syncPart()).toThrow(withoutS3);
    expect(() => adapters.retention()).toThrow(withoutS3);
    expect(() => adapters.objectStore()).toThrow(withoutS3);
    // What the other functions run needs no bucket, and still gets everything else.
    for (const deps of [adapters.restore(), adapters.orchestrator(), adapters.drill(), adapters.tracker().restore]) {
      expect(deps).toBeDefined();
      expect(deps?.thaw).toBeUndefined();
    }
    expect(adapters.webView().catalog).toBe(adapters.catalog());
    adapters.close();
  });

  it('with the thawing S3 adapters restores and drills thaw; with the reading ones (deployed) they cannot', () => {
    const thawing = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      s3: createS3AdaptersWithThaw,
      ssm: createSsmAdapters,
    });
    expect(thawing.restore().thaw).toBeDefined();
    expect(thawing.drill().thaw).toBe(thawing.restore().thaw);
    thawing.close();
    const reading = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      s3: createS3Adapters,
      ssm: createSsmAdapters,
    });
    expect(reading.restore().thaw).toBeUndefined();
    expect(reading.objectStore()).toBeDefined();
    reading.close();
  });

  it('without the SSM or SQS adapters: refuses what sends host commands, reads secrets or enqueues, wires the rest', () => {
    const alertsQueueUrl = 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-alerts';
    // As catalog-ingest, a sync part and the web view are built when deployed: DynamoDB and S3 only.
    const bucketOnly = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      decompress: historyTextOrUndefined,
      s3: createS3Adapters,
      alertsQueueUrl,
      clusterRunsQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/walcat-runs',
    });
    expect(bucketOnly.ingest().catalog).toBe(bucketOnly.catalog());
    expect(bucketOnly.syncPart().objects).toBe(bucketOnly.objectStore());
    expect(bucketOnly.webView().catalog).toBe(bucketOnly.catalog());
    const withoutSsm = /without the SSM adapters \(ssm: createSsmAdapters\), which sending host commands needs/;
    expect(() => bucketOnly.backup()).toThrow(withoutSsm);
    expect(() => bucketOnly.tracker()).toThrow(withoutSsm);
    expect(() => bucketOnly.orchestrator()).toThrow(withoutSsm);
    expect(() => bucketOnly.slackDelivery()).toThrow(
      /without the SSM adapters .*which reading Slack webhook secrets \(messages are posted directly/,
    );
    const withoutSqs =
      /without the SQS adapters \(sqs: createSqsAdapters\), which sending Slack messages to the alerts queue needs/;
    expect(() => bucketOnly.retention()).toThrow(withoutSqs);
    expect(() => bucketOnly.notifier()).toThrow(withoutSqs);
    expect(() => bucketOnly.clusterRuns()).toThrow(/without the SQS adapters .*which a cluster-run queue needs/);
    bucketOnly.close();
    // As retention and the watchdog are built: the SQS adapters and no SSM.
    const queueing = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      s3: createS3Adapters,
      sqs: createSqsAdapters,
      metrics: { record: () => undefined },
      archiverSignal: latestArchiverSignal,
      alertsQueueUrl,
    });
    expect(queueing.retention().notifier).toBe(queueing.notifier());
    expect(queueing.watchWal().notifier).toBe(queueing.notifier());
    queueing.close();
  });
});

describe('one place constructs each store', () => {
  it('hands out the storage adapters own stores: one catalog, one job store, one object store', () => {
    const adapters = createAdapterSet({
      config,
      endpoints: { region: 'eu-west-1' },
      decompress: historyTextOrUndefined,
      s3: createS3Adapters,
      ssm: createSsmAdapters,
    });
    expect(adapters.ingest().catalog).toBe(adapters.catalog());
    expect(adapters.retention().objects).toBe(adapters.objectStore());
    expect(adapters.retention().versions).toBe(adapters.objectStore());
    expect(adapters.sync().bucket).toBe(adapters.retention().inspector);
    expect(adapters.webView().jobs).toBe(adapters.hostCommands().jobs);
    adapters.close();
  });

  it('the storage adapters alone refuse bucket reads without the S3 factory and give no thaw', () => {
    const storage = createStorageAdapters({ config, endpoints: { region: 'eu-west-1' } });
    expect(() => storage.objectStore()).toThrow(/without the S3 adapters \(s3\)/);
    expect(() => storage.inspector()).toThrow(/without the S3 adapters \(s3\)/);
    expect(storage.thaw()).toBeUndefined();
    storage.close();
  });
});
