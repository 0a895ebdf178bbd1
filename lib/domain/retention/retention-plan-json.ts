import type { RetentionPlan } from './retention-plan.ts';

/** `walcat retention plan --json` (the README's JSON contract). */
export interface RetentionPlanJson {
  /** Null for a cluster without a retention policy (nothing is planned). */
  readonly planId: string | null;
  readonly keep: readonly { readonly name: string; readonly reasons: readonly string[] }[];
  readonly delete: {
    readonly backups: readonly string[];
    readonly wal: readonly {
      readonly timeline: number;
      readonly from: string;
      readonly to: string;
      readonly count: number;
    }[];
  };
  readonly bytesFreed: number;
  /** Why there is no plan (a cluster without a retention policy). */
  readonly reason?: string;
}

/**
 * The plan document of a cluster walcat deletes nothing of.
 *
 * @example noPlanJson('no retention policy: walcat deletes nothing of this cluster')
 * // { planId: null, keep: [], delete: { backups: [], wal: [] }, bytesFreed: 0, reason: 'no retention policy: …' }
 */
export function noPlanJson(reason: string): RetentionPlanJson {
  return { planId: null, keep: [], delete: { backups: [], wal: [] }, bytesFreed: 0, reason };
}

/**
 * The contract shape of a plan, and nothing else.
 *
 * @example retentionPlanJson(plan) // { planId, keep: [{ name, reasons }], delete: { backups, wal }, bytesFreed }
 */
export function retentionPlanJson(
  plan: Pick<RetentionPlan, 'planId' | 'keep' | 'bytesFreed'> & {
    readonly delete: Pick<RetentionPlan['delete'], 'backups' | 'wal'>;
  },
): RetentionPlanJson {
  return {
    planId: plan.planId,
    keep: plan.keep.map((kept) => ({ name: kept.name, reasons: [...kept.reasons] })),
    delete: {
      backups: plan.delete.backups.map((doomed) => doomed.name),
      wal: plan.delete.wal.map(({ timeline, from, to, count }) => ({ timeline, from, to, count })),
    },
    bytesFreed: plan.bytesFreed,
  };
}
