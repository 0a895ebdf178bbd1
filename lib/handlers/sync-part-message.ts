/**
 * The part queue's message, parsed at the boundary: `{ cluster, syncId, plannedAt, part, parts, range }` as
 * SqsSyncPartQueue sends it (JSON; `plannedAt` ISO-8601; `range` `{ after, until? }`). A message that can never
 * run says why, naming the field and its value.
 */
import type { ClusterConfig } from '../domain/cluster.ts';
import type { SyncPartRequest } from '../ports/sync-part-queue.ts';

const SHAPE =
  'a sync part is { "cluster", "syncId", "plannedAt": "<ISO-8601>", "part": <0..parts-1>, "parts": <n>, "range": { "after", "until"? } }';

export function parseSyncPart(
  body: string,
  clusters: readonly ClusterConfig[],
): { readonly cluster: ClusterConfig; readonly request: SyncPartRequest } | { readonly problem: string } {
  let message: Record<string, unknown>;
  try {
    message = JSON.parse(body) as Record<string, unknown>;
  } catch {
    return { problem: `the message is not JSON; ${SHAPE}` };
  }
  if (typeof message !== 'object' || message === null) return { problem: `the message is not an object; ${SHAPE}` };
  const { syncId, part, parts, range } = message;
  const plannedAt = typeof message.plannedAt === 'string' ? new Date(message.plannedAt) : undefined;
  if (plannedAt === undefined || Number.isNaN(plannedAt.getTime())) {
    return { problem: `plannedAt ${JSON.stringify(message.plannedAt)} is not an ISO-8601 time; ${SHAPE}` };
  }
  if (typeof syncId !== 'string' || syncId === '') {
    return { problem: `syncId ${JSON.stringify(syncId)} is not a sync generation id; ${SHAPE}` };
  }
  if (!Number.isSafeInteger(parts) || (parts as number) < 1) {
    return { problem: `parts ${JSON.stringify(parts)} is not a positive integer; ${SHAPE}` };
  }
  if (!Number.isSafeInteger(part) || (part as number) < 0 || (part as number) >= (parts as number)) {
    return { problem: `part ${JSON.stringify(part)} is not one of 0..${(parts as number) - 1}; ${SHAPE}` };
  }
  const { after, until } = (range ?? {}) as { after?: unknown; until?: unknown };
  if (typeof after !== 'string' || (until !== undefined && (typeof until !== 'string' || until <= after))) {
    return { problem: `range ${JSON.stringify(range)} is not a key range (after < until, until optional); ${SHAPE}` };
  }
  const cluster = clusters.find((candidate) => candidate.id === message.cluster);
  if (cluster === undefined) {
    return {
      problem: `cluster ${JSON.stringify(message.cluster)} is not in the config (it was removed after the part was queued, or the message is foreign)`,
    };
  }
  return {
    cluster,
    request: {
      cluster: cluster.id,
      syncId,
      plannedAt,
      part: part as number,
      parts: parts as number,
      range: until === undefined ? { after } : { after, until: until as string },
    },
  };
}
