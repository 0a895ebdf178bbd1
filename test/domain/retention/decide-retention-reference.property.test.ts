/**
 * decideRetention decides exactly what it decided before it was made fast: the same kept and deleted backups, with
 * the same reasons, in the same order, the same protected WAL and the same refusals, over random catalogs with
 * deltas (chains, dangling and looping parents), permanent, unreadable, foreign and incomplete backups, backups
 * whose WAL range is unknown, equal finish times and repeated names, in zones with and without daylight saving time,
 * and with Object Lock holds. The oracle is the function as it was (support/reference-decide-retention.ts).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BackupRecord } from '../../../lib/domain/catalog/catalog-records.ts';
import type { RetentionPolicy } from '../../../lib/domain/cluster.ts';
import { utcOffsetMs } from '../../../lib/domain/retention/calendar-period.ts';
import {
  decideRetention,
  type RetentionDecision,
  type RetentionDecisionInput,
} from '../../../lib/domain/retention/retention-plan.ts';
import { lsnFromInteger } from '../../../lib/domain/wal/lsn.ts';
import { timelineId } from '../../../lib/domain/wal/timeline.ts';
import { segmentNumber } from '../../../lib/domain/wal/wal-segment.ts';
import { backupName, CLUSTER, DAY, HOUR, policyOf, SIZE } from './retention-fixtures.ts';
import { referenceDecideRetention, referenceUtcOffsetMs } from './support/reference-decide-retention.ts';

const MINUTE = 60_000;
const ZONES = [
  'UTC',
  'Europe/Berlin',
  'America/New_York',
  'Asia/Kolkata',
  'Pacific/Auckland',
  'Australia/Lord_Howe',
  'Africa/Casablanca',
  'Pacific/Apia',
  'America/Sao_Paulo',
];
/** Instants near daylight saving changes (and Samoa's skipped day), so random backups straddle them. */
const ANCHORS = [
  Date.UTC(2026, 2, 29, 0, 0),
  Date.UTC(2026, 9, 25, 0, 30),
  Date.UTC(2026, 2, 8, 6, 0),
  Date.UTC(2026, 3, 5, 13, 0),
  Date.UTC(2011, 11, 29, 9, 0),
  Date.UTC(2026, 1, 15, 1, 0),
  Date.UTC(2018, 10, 4, 2, 0),
  Date.UTC(2026, 11, 31, 22, 0),
];
const SYSTEM = 7321456789012345678n;
const OTHER_SYSTEM = 6999999999999999999n;

const draftArbitrary = fc.record({
  gapMs: fc.oneof(
    fc.constant(0),
    fc.integer({ min: 1, max: 90 * MINUTE }),
    fc.integer({ min: HOUR, max: 2 * DAY }),
    fc.integer({ min: HOUR, max: 2 * DAY }),
    fc.integer({ min: 2 * DAY, max: 200 * DAY }),
  ),
  kind: fc.constantFrom(
    'complete',
    'complete',
    'complete',
    'complete',
    'complete',
    'incomplete',
    'unreadable',
    'deleted-with-sentinel',
    'deleted',
    'expired',
  ),
  times: fc.constantFrom('finish', 'finish', 'finish', 'start-only', 'none'),
  permanent: fc.integer({ min: 0, max: 7 }).map((value) => value === 0),
  system: fc.constantFrom<'same' | 'other' | 'none'>('same', 'same', 'same', 'same', 'other', 'none'),
  walRangeUnknown: fc.integer({ min: 0, max: 12 }).map((value) => value === 0),
  deltaOf: fc.option(fc.integer({ min: -3, max: 110 }), { nil: undefined, freq: 2 }),
  // One draft in 25 takes the name of an earlier one (a catalog holds one record per name; the order must not care).
  repeatsName: fc.tuple(fc.nat({ max: 24 }), fc.nat({ max: 110 })).map(([dice, of]) => (dice === 0 ? of : undefined)),
  sentinelText: fc.constantFrom<'delta' | 'garbage' | 'plain' | 'none'>('delta', 'garbage', 'plain', 'none'),
  signOfLifeMs: fc.option(fc.integer({ min: 0, max: 3 * DAY }), { nil: undefined }),
  compressedSize: fc.option(fc.nat({ max: 1 << 30 }), { nil: undefined }),
  timeline: fc.constantFrom(1, 1, 1, 2),
  problem: fc.option(fc.constant('its sentinel is truncated'), { nil: undefined }),
});
type Draft = typeof draftArbitrary extends fc.Arbitrary<infer T> ? T : never;

function recordsOf(drafts: readonly Draft[], firstAt: number): BackupRecord[] {
  const records: BackupRecord[] = [];
  const names: string[] = [];
  let at = firstAt;
  drafts.forEach((draft, index) => {
    at += draft.gapMs;
    const startSegNo = 16 + index * 3;
    const timeline = timelineId(draft.timeline);
    const parentIndex = draft.deltaOf === undefined ? undefined : draft.deltaOf;
    // A parent before it, a dangling name (negative), or a later backup (so parents can loop).
    const parentName =
      parentIndex === undefined
        ? undefined
        : parentIndex < 0
          ? backupName(1, 9000 + parentIndex)
          : (names[parentIndex] ?? backupName(draft.timeline, 16 + parentIndex * 3));
    const name =
      draft.repeatsName !== undefined && names.length > 0
        ? (names[draft.repeatsName % names.length] as string)
        : parentName === undefined
          ? backupName(draft.timeline, startSegNo)
          : `${backupName(draft.timeline, startSegNo)}_D_${parentName.slice(5)}`;
    names.push(name);
    const finishedAt = new Date(at);
    const firstSeenAt = new Date(at - 40 * MINUTE);
    const sentinel = {
      key: `basebackups_005/${name}_backup_stop_sentinel.json`,
      present: true,
      observedAt: finishedAt,
      ...(draft.sentinelText === 'delta' && parentName !== undefined
        ? { text: JSON.stringify({ DeltaFrom: parentName }) }
        : draft.sentinelText === 'garbage'
          ? { text: '{"DeltaFrom": ' }
          : draft.sentinelText === 'plain'
            ? { text: '{"LSN": 1}' }
            : {}),
    };
    const startLsn = lsnFromInteger(BigInt(startSegNo) * BigInt(SIZE) + 40n);
    const backup = {
      name,
      kind: parentName === undefined ? ('full' as const) : ('delta' as const),
      ...(parentName === undefined ? {} : { deltaFrom: parentName }),
      timeline,
      startLsn,
      finishLsn: draft.walRangeUnknown ? startLsn : lsnFromInteger(BigInt(startSegNo + 1) * BigInt(SIZE) + 4096n),
      ...(draft.walRangeUnknown ? { walRangeUnknown: true as const } : {}),
      startSegment: { timeline, segNo: segmentNumber(startSegNo) },
      ...(draft.times === 'none' ? {} : { startTime: new Date(at - 10 * MINUTE) }),
      ...(draft.times === 'finish' ? { finishTime: finishedAt } : {}),
      ...(draft.system === 'none' ? {} : { systemIdentifier: draft.system === 'same' ? SYSTEM : OTHER_SYSTEM }),
      ...(draft.compressedSize === undefined ? {} : { compressedSize: draft.compressedSize }),
      permanent: draft.permanent,
    };
    const common = {
      cluster: CLUSTER,
      name,
      firstSeenAt,
      updatedAt: new Date(at - 30 * MINUTE),
      ...(draft.signOfLifeMs === undefined
        ? {}
        : { lastSignOfLifeAt: new Date(at - 40 * MINUTE + draft.signOfLifeMs) }),
    };
    switch (draft.kind) {
      case 'complete':
        records.push({ ...common, status: 'complete', backup, sentinel });
        break;
      case 'incomplete':
        records.push({ ...common, status: 'incomplete' });
        break;
      case 'unreadable':
        records.push({
          ...common,
          status: 'unreadable',
          sentinel,
          ...(draft.problem === undefined ? {} : { problem: draft.problem }),
        });
        break;
      case 'deleted-with-sentinel':
        records.push({ ...common, status: 'deleted', sentinel, backup });
        break;
      case 'deleted':
        records.push({ ...common, status: 'deleted', sentinel: { ...sentinel, present: false } });
        break;
      case 'expired':
        records.push({ ...common, status: 'expired', backup, expiredAt: new Date(at + DAY) });
        break;
    }
  });
  return records;
}

const policyArbitrary = fc
  .record({
    keepLast: fc.nat({ max: 3 }),
    keepDaily: fc.nat({ max: 5 }),
    keepWeekly: fc.nat({ max: 3 }),
    keepMonthly: fc.nat({ max: 3 }),
    keepYearly: fc.nat({ max: 2 }),
    pitrWindowMs: fc.constantFrom(0, 0, 0, 6 * HOUR, DAY, 7 * DAY, 45 * DAY),
    timezone: fc.oneof(
      { weight: 30, arbitrary: fc.constantFrom(...ZONES) },
      { weight: 1, arbitrary: fc.constant('Not/A_Zone') },
    ),
    incompleteGraceMs: fc.constantFrom(HOUR, 90 * MINUTE, DAY, 3 * DAY),
    broken: fc.noBias(fc.integer({ min: 0, max: 80 })),
  })
  .map(({ broken, ...fields }): RetentionPolicy => {
    const policy = policyOf(fields);
    if (broken === 0) return { ...policy, keepDaily: -1 };
    if (broken === 1) return { ...policy, keepWeekly: 1.5 };
    if (broken === 2) return { ...policy, pitrWindowMs: -HOUR };
    return policy;
  });

const inputArbitrary = fc
  .record({
    drafts: fc.array(draftArbitrary, { minLength: 0, maxLength: 120, size: 'medium' }),
    anchor: fc.constantFrom(...ANCHORS),
    startOffsetMs: fc.integer({ min: -3 * DAY, max: DAY }),
    nowAfterLastMs: fc.integer({ min: -2 * DAY, max: 10 * DAY }),
    order: fc.constantFrom<'as-made' | 'by-name' | 'reversed' | 'shuffled'>(
      'as-made',
      'by-name',
      'reversed',
      'shuffled',
    ),
    shuffleKeys: fc.array(fc.nat(), { minLength: 120, maxLength: 120 }),
    policy: policyArbitrary,
    holds: fc.array(
      fc.tuple(fc.integer({ min: -2, max: 110 }), fc.constantFrom('legal hold', 'retention until 2030')),
      {
        maxLength: 4,
      },
    ),
    withHeld: fc.boolean(),
  })
  .map(({ drafts, anchor, startOffsetMs, nowAfterLastMs, order, shuffleKeys, policy, holds, withHeld }) => {
    const made = recordsOf(drafts, anchor + startOffsetMs);
    const backups =
      order === 'as-made'
        ? made
        : order === 'by-name'
          ? [...made].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          : order === 'reversed'
            ? [...made].reverse()
            : made
                .map((record, index) => ({ record, key: shuffleKeys[index] ?? 0 }))
                .sort((a, b) => a.key - b.key)
                .map(({ record }) => record);
    const lastAt = drafts.reduce((sum, draft) => sum + draft.gapMs, anchor + startOffsetMs);
    const held = new Map<string, string>();
    for (const [index, lock] of holds) {
      held.set(
        index < 0 ? `base_not_in_the_catalog_${index}` : (made[index]?.name ?? 'base_missing'),
        `object-lock: ${lock}`,
      );
    }
    const input: RetentionDecisionInput = {
      cluster: CLUSTER,
      backups,
      policy,
      walSegmentSize: SIZE,
      now: new Date(lastAt + nowAfterLastMs),
      planId: 'reference',
      ...(withHeld ? { held } : {}),
    };
    return input;
  });

type Outcome = { readonly decision: RetentionDecision } | { readonly error: { name: string; message: string } };

function outcomeOf(
  decide: (input: RetentionDecisionInput) => RetentionDecision,
  input: RetentionDecisionInput,
): Outcome {
  try {
    return { decision: decide(input) };
  } catch (error) {
    if (!(error instanceof Error)) throw error;
    return { error: { name: error.constructor.name, message: error.message } };
  }
}

/** What the JSON plan prints of a decision, key order included. */
const printed = (decision: RetentionDecision): string =>
  JSON.stringify({
    base: decision.base.name,
    windowStart: decision.windowStart,
    keep: decision.keep,
    deleted: decision.deleted,
    protectedWal: decision.protectedWal,
  });

function expectSameOutcome(input: RetentionDecisionInput): void {
  const expected = outcomeOf(referenceDecideRetention, input);
  const actual = outcomeOf(decideRetention, input);
  if ('error' in expected) {
    expect(actual).toStrictEqual(expected);
    return;
  }
  if (!('decision' in actual)) throw new Error(`decideRetention refused: ${actual.error.message}`);
  expect(printed(actual.decision)).toBe(printed(expected.decision));
  expect(actual.decision).toStrictEqual(expected.decision);
  expect(actual.decision.base).toBe(expected.decision.base);
}

describe('decideRetention against the reference implementation', () => {
  it('decides the same over random catalogs, policies, zones and holds', () => {
    fc.assert(
      fc.property(inputArbitrary, (input) => expectSameOutcome(input)),
      { numRuns: 1500 },
    );
  });

  it('decides the same over months of backups every few hours, where the calendar work is shared', () => {
    const denseArbitrary = fc
      .record({
        count: fc.integer({ min: 50, max: 1500 }),
        everyMs: fc.constantFrom(HOUR, 2 * HOUR, 5 * HOUR + 7 * MINUTE, 11 * HOUR),
        anchor: fc.constantFrom(...ANCHORS),
        policy: policyArbitrary,
        deltaEvery: fc.integer({ min: 0, max: 6 }),
      })
      .map(({ count, everyMs, anchor, policy, deltaEvery }) => {
        const drafts: Draft[] = Array.from({ length: count }, (_, index) => ({
          gapMs: everyMs,
          kind: 'complete',
          times: 'finish',
          permanent: index % 97 === 5,
          system: 'same',
          walRangeUnknown: false,
          deltaOf: deltaEvery > 0 && index % deltaEvery !== 0 ? index - 1 : undefined,
          repeatsName: undefined,
          sentinelText: 'plain',
          signOfLifeMs: undefined,
          compressedSize: 1 << 20,
          timeline: 1,
          problem: undefined,
        }));
        const backups = recordsOf(drafts, anchor - (count * everyMs) / 2);
        const input: RetentionDecisionInput = {
          cluster: CLUSTER,
          backups,
          policy,
          walSegmentSize: SIZE,
          now: new Date(anchor + (count * everyMs) / 2 + HOUR),
          planId: 'reference',
        };
        return input;
      });
    fc.assert(
      fc.property(denseArbitrary, (input) => expectSameOutcome(input)),
      { numRuns: 60 },
    );
  });

  it("reads the same UTC offsets as the formatter's parts, in zones with odd offsets and far from today", () => {
    const zones = [
      ...ZONES,
      'Asia/Kathmandu',
      'America/St_Johns',
      'Europe/Dublin',
      'Africa/Monrovia',
      'Pacific/Chatham',
      'America/Caracas',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(-3000, 0, 1), max: Date.UTC(12000, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          expect(utcOffsetMs(new Date(ms), zone)).toBe(referenceUtcOffsetMs(new Date(ms), zone));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
