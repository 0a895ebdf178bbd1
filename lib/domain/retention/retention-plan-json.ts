import type { RetentionPlan } from './retention-plan.ts';

/** `walcat retention plan --json` (shared/DESIGN.md contract). */
export interface RetentionPlanJson {
  readonly planId: string;
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
