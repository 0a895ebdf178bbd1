/** Reads what an SQS queue lets others do: enough to tell whether a bucket's notifications can reach it. */
export interface QueueInspector {
  /** The queue's access policy document (JSON text), `undefined` when it has none; throws when the queue is gone. */
  accessPolicy(queueArn: string): Promise<string | undefined>;
}
