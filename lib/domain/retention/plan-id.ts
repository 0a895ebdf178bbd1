import type { ClusterId } from '../cluster.ts';
import { InvalidInputError } from '../errors.ts';

const PLAN_ID_TAIL = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z-([0-9a-f]{4})$/;
const TAIL_LENGTH = '20261121T020000Z-1a2b'.length;

/**
 * A plan id names its cluster and creation second, so `walcat retention apply PLAN_ID` needs nothing else:
 * `<cluster>-<yyyymmddThhmmssZ>-<4 hex>`.
 *
 * @example newPlanId('orders-main', new Date('2026-11-21T02:00:00Z'), '1a2b') === 'orders-main-20261121T020000Z-1a2b'
 */
export function newPlanId(cluster: ClusterId, createdAt: Date, suffix: string): string {
  const compact = createdAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}Z$/, 'Z');
  return `${cluster}-${compact}-${suffix}`;
}

/**
 * The cluster and creation second of a plan id, given the configured cluster ids.
 *
 * @example parsePlanId('orders-main-20261121T020000Z-1a2b', ['orders-main'])
 *   // { cluster: 'orders-main', createdAt: 2026-11-21T02:00:00Z }
 * @throws InvalidInputError when the id is malformed or names no configured cluster.
 */
export function parsePlanId(
  planId: string,
  clusters: readonly ClusterId[],
): { readonly cluster: ClusterId; readonly createdAt: Date } {
  const cluster = clusters.find((id) => planId.length === id.length + 1 + TAIL_LENGTH && planId.startsWith(`${id}-`));
  if (!PLAN_ID_TAIL.test(planId.slice(-TAIL_LENGTH)) || cluster === undefined) {
    throw new InvalidInputError(
      `plan id ${JSON.stringify(planId)} is not <cluster>-<yyyymmddThhmmssZ>-<4 hex> for a configured cluster (${clusters.join(', ') || 'none'}); copy it from \`walcat retention plan\``,
    );
  }
  return { cluster, createdAt: planIdSecond(planId) };
}

/**
 * The second a plan id names (the creation time without milliseconds).
 *
 * @example planIdSecond('orders-main-20261121T020000Z-1a2b') // 2026-11-21T02:00:00Z
 */
export function planIdSecond(planId: string): Date {
  const tail = PLAN_ID_TAIL.exec(planId.slice(-TAIL_LENGTH));
  if (!tail)
    throw new InvalidInputError(`plan id ${JSON.stringify(planId)} does not end in <yyyymmddThhmmssZ>-<4 hex>`);
  const [, year, month, day, hour, minute, second] = tail.map(Number) as number[];
  return new Date(Date.UTC(year as number, (month as number) - 1, day, hour, minute, second));
}
