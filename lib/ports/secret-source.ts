/** Reads secrets (a Slack webhook URL) by name. Implementations cache; callers never log the value. */
export interface SecretSource {
  /** The secret's value; throws `TransientError` when the store cannot be reached. */
  get(name: string): Promise<string>;
}
