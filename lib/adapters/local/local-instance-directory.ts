import type { InstanceDirectory } from '../../ports/instance-directory.ts';
import type { LocalInstance } from './local-shell-transport.ts';

/** The local stack's instances (the same list the local shell transport runs scripts for), found by tag. */
export class LocalInstanceDirectory implements InstanceDirectory {
  readonly #instances: readonly LocalInstance[];

  constructor(instances: readonly LocalInstance[]) {
    this.#instances = instances;
  }

  async instancesWithTag(tagKey: string, tagValue: string): Promise<readonly string[]> {
    return this.#instances
      .filter((instance) => instance.tags[tagKey] === tagValue)
      .map((instance) => instance.instanceId)
      .sort();
  }
}
