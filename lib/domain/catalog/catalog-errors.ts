import type { ClusterId } from '../cluster.ts';
import { TransientError } from '../errors.ts';

/** Somebody else updated the cluster state since it was read: read it again and retry the update. */
export class ClusterStateConflictError extends TransientError {
  override readonly name: string = 'ClusterStateConflictError';
  constructor(cluster: ClusterId, expectedVersion: number, options?: { cause?: unknown }) {
    super(
      `cluster ${cluster}: state changed since version ${expectedVersion} was read; read the state again and retry`,
      options,
    );
  }
}
