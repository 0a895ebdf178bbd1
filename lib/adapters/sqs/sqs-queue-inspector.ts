import { GetQueueAttributesCommand, GetQueueUrlCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { InvalidInputError, TransientError, WalcatError } from '../../domain/errors.ts';
import type { QueueInspector } from '../../ports/queue-inspector.ts';

const errorName = (error: unknown): string => (error as { name?: string }).name ?? '';
const statusOf = (error: unknown): number | undefined =>
  (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

/** The QueueInspector port over the AWS SDK SQS client. */
export class SqsQueueInspector implements QueueInspector {
  readonly #client: SQSClient;

  constructor(client: SQSClient) {
    this.#client = client;
  }

  async accessPolicy(queueArn: string): Promise<string | undefined> {
    const parts = queueArn.split(':');
    const [name, account] = [parts[5], parts[4]];
    if (parts.length !== 6 || parts[2] !== 'sqs' || !name || !account) {
      throw new InvalidInputError(
        `${JSON.stringify(queueArn)} is not an SQS queue ARN; use arn:aws:sqs:<region>:<account>:<queue name>`,
      );
    }
    try {
      const { QueueUrl } = await this.#client.send(
        new GetQueueUrlCommand({ QueueName: name, QueueOwnerAWSAccountId: account }),
      );
      const { Attributes } = await this.#client.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['Policy'] }),
      );
      return Attributes?.Policy;
    } catch (error) {
      const code = errorName(error);
      if (code.includes('NonExistentQueue') || code === 'QueueDoesNotExist') {
        throw new WalcatError(`queue ${queueArn} does not exist: the bucket's notifications go nowhere`, {
          cause: error,
        });
      }
      if (code.includes('Throttl') || (statusOf(error) ?? 0) >= 500) {
        throw new TransientError(`queue ${queueArn}: reading its policy failed with ${code}; try again`, {
          cause: error,
        });
      }
      if (code === 'AccessDenied' || statusOf(error) === 403) {
        throw new WalcatError(
          `queue ${queueArn}: walcat may not read its policy (AccessDenied); grant sqs:GetQueueUrl and sqs:GetQueueAttributes on it`,
          { cause: error },
        );
      }
      throw new WalcatError(`queue ${queueArn}: reading its policy failed: ${code}`, { cause: error });
    }
  }
}
