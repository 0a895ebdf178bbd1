/**
 * Whether an SQS queue policy lets S3 deliver a bucket's event notifications: an `Allow` of `sqs:SendMessage` to the
 * S3 service principal on the queue, whose `aws:SourceArn` condition (when there is one) matches the bucket, and no
 * `Deny` that matches. S3 checks this when the notification is configured; a policy changed later silently drops
 * every event.
 */

export interface QueuePolicyVerdict {
  readonly allows: boolean;
  readonly why: string;
}

type Json = unknown;

const asList = (value: Json): Json[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

/** IAM wildcard match: `*` any run, `?` one character; case-sensitive like ARNs. */
function globMatches(pattern: string, value: string): boolean {
  const regex = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.')}$`,
  );
  return regex.test(value);
}

function principalIsS3(principal: Json): boolean {
  if (principal === '*') return true;
  if (principal === null || typeof principal !== 'object') return false;
  const record = principal as Record<string, Json>;
  return (
    asList(record.Service).some((service) => service === 's3.amazonaws.com') ||
    asList(record.AWS).some((aws) => aws === '*')
  );
}

function actionAllowsSend(statement: Record<string, Json>): boolean {
  return asList(statement.Action).some(
    (action) => typeof action === 'string' && globMatches(action.toLowerCase(), 'sqs:sendmessage'),
  );
}

function resourceIsQueue(statement: Record<string, Json>, queueArn: string): boolean {
  const resources = asList(statement.Resource);
  return resources.length === 0 || resources.some((r) => typeof r === 'string' && globMatches(r, queueArn));
}

/** `undefined` when the statement has no source-ARN condition; otherwise whether the bucket's ARN satisfies it. */
function sourceArnMatches(statement: Record<string, Json>, bucketArn: string): boolean | undefined {
  const condition = statement.Condition;
  if (condition === null || typeof condition !== 'object') return undefined;
  let seen = false;
  for (const [operator, tests] of Object.entries(condition as Record<string, Json>)) {
    if (tests === null || typeof tests !== 'object') continue;
    for (const [key, values] of Object.entries(tests as Record<string, Json>)) {
      if (key.toLowerCase() !== 'aws:sourcearn') continue;
      seen = true;
      const like = operator.startsWith('ArnLike') || operator.startsWith('StringLike');
      const matched = asList(values).some(
        (value) => typeof value === 'string' && (like ? globMatches(value, bucketArn) : value === bucketArn),
      );
      if (!matched) return false;
    }
  }
  return seen ? true : undefined;
}

/**
 * @example queuePolicyVerdict(undefined, 'arn:aws:sqs:us-east-1:1:q', 'b').allows === false
 */
export function queuePolicyVerdict(policy: string | undefined, queueArn: string, bucket: string): QueuePolicyVerdict {
  if (policy === undefined || policy.trim() === '') {
    return { allows: false, why: `queue ${queueArn} has no access policy, so S3 may not send it the bucket's events` };
  }
  let document: Json;
  try {
    document = JSON.parse(policy);
  } catch {
    return { allows: false, why: `queue ${queueArn} has a policy that is not JSON` };
  }
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const statements = asList((document as Record<string, Json> | null)?.Statement).filter(
    (statement): statement is Record<string, Json> => statement !== null && typeof statement === 'object',
  );
  const applies = (statement: Record<string, Json>): boolean =>
    principalIsS3(statement.Principal) &&
    actionAllowsSend(statement) &&
    resourceIsQueue(statement, queueArn) &&
    sourceArnMatches(statement, bucketArn) !== false;
  const deny = statements.find((statement) => statement.Effect === 'Deny' && applies(statement));
  if (deny) {
    return { allows: false, why: `queue ${queueArn}'s policy denies sqs:SendMessage from ${bucketArn}` };
  }
  if (statements.some((statement) => statement.Effect === 'Allow' && applies(statement))) {
    return { allows: true, why: `queue ${queueArn}'s policy lets S3 send it ${bucketArn}'s events` };
  }
  return {
    allows: false,
    why: `queue ${queueArn}'s policy has no statement allowing s3.amazonaws.com to sqs:SendMessage from ${bucketArn}`,
  };
}
