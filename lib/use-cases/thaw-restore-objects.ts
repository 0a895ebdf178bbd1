/**
 * Thaws the frozen objects a restore plan reads, and waits until every one is readable: RestoreObject for each
 * object that is frozen with no thaw under way, then HeadObject on the pending ones every `pollSeconds`. A second
 * run (after Ctrl-C, or a thaw started by hand) asks for nothing again: objects already thawing are only waited on.
 */
import { InvalidInputError } from '../domain/errors.ts';
import type { FrozenObject } from '../domain/restore/restore-thaw.ts';
import type { ObjectThaw, RetrievalTierName } from '../ports/object-thaw.ts';
import { mapInOrder } from './map-in-order.ts';

export interface ThawOptions {
  readonly tier: RetrievalTierName;
  /** How long the thawed copies stay readable; long enough for the restore to read them. */
  readonly days: number;
  readonly pollSeconds: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: { readonly readable: number; readonly pending: number }) => void;
}

export interface ThawDeps {
  readonly thaw: ObjectThaw;
  readonly now: () => Date;
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface ThawOutcome {
  /** Objects walcat asked S3 to thaw (the others were readable or thawing already). */
  readonly requested: number;
  readonly objects: number;
  /** From the first request to the last object readable. */
  readonly seconds: number;
}

const PARALLEL = 16;

const defaultSleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * @throws InvalidInputError when a frozen object the plan reads is no longer in the bucket (sync, then plan again)
 *   or Expedited is asked for DEEP_ARCHIVE (S3 has no such tier for it).
 */
export async function thawRestoreObjects(
  deps: ThawDeps,
  bucket: string,
  objects: readonly FrozenObject[],
  options: ThawOptions,
): Promise<ThawOutcome> {
  const sleep = deps.sleep ?? defaultSleep;
  if (options.tier === 'Expedited' && objects.some((object) => object.storageClass.includes('DEEP_ARCHIVE'))) {
    throw new InvalidInputError(
      `--thaw-tier Expedited: S3 has no Expedited retrieval for DEEP_ARCHIVE; use --thaw-tier Standard (12 hours) or Bulk (48 hours)`,
    );
  }
  const started = deps.now();
  let pending = [...objects];
  let requested = 0;
  let first = true;
  while (pending.length > 0) {
    if (!first) await sleep(options.pollSeconds * 1000, options.signal);
    options.signal?.throwIfAborted();
    const still: FrozenObject[] = [];
    await mapInOrder(pending, PARALLEL, async (object) => {
      const state = await deps.thaw.thawState(bucket, object.key);
      if (state.state === 'missing') {
        throw new InvalidInputError(
          `s3://${bucket}/${object.key}: the restore plan reads it but it is no longer in the bucket; run walcat sync and plan the restore again`,
        );
      }
      if (state.state === 'readable') return;
      if (state.state === 'frozen') {
        await deps.thaw.requestThaw(bucket, object.key, {
          days: options.days,
          tier: options.tier,
          storageClass: object.storageClass,
        });
        requested++;
      }
      still.push(object);
    });
    options.onProgress?.({ readable: objects.length - still.length, pending: still.length });
    pending = still;
    first = false;
  }
  return {
    requested,
    objects: objects.length,
    seconds: Math.max(0, (deps.now().getTime() - started.getTime()) / 1000),
  };
}
