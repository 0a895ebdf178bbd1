import { describe, expect, it } from 'vitest';
import { queuePolicyVerdict } from '../../../lib/domain/bucket/queue-policy.ts';

const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:walcat-object-events';
const policy = (...statements: object[]) => JSON.stringify({ Version: '2012-10-17', Statement: statements });
const allowS3 = (extra: object = {}) => ({
  Effect: 'Allow',
  Principal: { Service: 's3.amazonaws.com' },
  Action: 'sqs:SendMessage',
  Resource: QUEUE,
  ...extra,
});

describe('queuePolicyVerdict', () => {
  it.each([
    ['no policy', undefined, false],
    ['a policy that is not JSON', '{', false],
    [
      'S3 allowed for the bucket',
      policy(allowS3({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::acme-pg-backups' } } })),
      true,
    ],
    [
      'S3 allowed for any bucket matching a pattern',
      policy(allowS3({ Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:s3:::acme-*' } } })),
      true,
    ],
    [
      'S3 allowed for another bucket only',
      policy(allowS3({ Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:s3:::other' } } })),
      false,
    ],
    ['S3 allowed without a condition, statement as an object', JSON.stringify({ Statement: allowS3() }), true],
    [
      'everyone allowed every SQS action',
      policy({ Effect: 'Allow', Principal: '*', Action: 'sqs:*', Resource: QUEUE }),
      true,
    ],
    ['only ReceiveMessage allowed', policy(allowS3({ Action: 'sqs:ReceiveMessage' })), false],
    ['allowed on another queue', policy(allowS3({ Resource: 'arn:aws:sqs:us-east-1:123456789012:other' })), false],
    ['allowed, then denied for S3', policy(allowS3(), { ...allowS3(), Effect: 'Deny' }), false],
    ['a user allowed, not S3', policy(allowS3({ Principal: { AWS: 'arn:aws:iam::123456789012:root' } })), false],
  ] as const)('%s: allows %s', (_label, text, allows) => {
    const verdict = queuePolicyVerdict(text, QUEUE, 'acme-pg-backups');
    expect(verdict.allows).toBe(allows);
    expect(verdict.why).toContain(QUEUE);
  });
});
