/**
 * Which managed hosts carry a tag. A restore resolves its target tag to exactly one instance before it sends
 * anything: a command sent to a tag runs on every instance carrying it.
 */
export interface InstanceDirectory {
  /** Ids of the managed instances (SSM agent online) carrying `tagKey=tagValue`, sorted. */
  instancesWithTag(tagKey: string, tagValue: string): Promise<readonly string[]>;
}
