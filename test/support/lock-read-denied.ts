/**
 * An S3 client as a role without s3:GetObjectRetention and s3:GetObjectLegalHold sees a real endpoint: AWS answers
 * its HeadObject without the Object Lock headers (as if nothing were locked) and its GetObjectRetention and
 * GetObjectLegalHold with AccessDenied. moto authorises all three as s3:GetObject, so no IAM policy there can
 * produce this; the middleware does, on top of moto's real answers.
 *
 * @example
 * const denied = createS3Client({ region, s3: moto.endpoint, credentials });
 * denyObjectLockReads(denied);
 */
import { S3ServiceException } from '@aws-sdk/client-s3';

const LOCK_READS = new Set(['GetObjectRetentionCommand', 'GetObjectLegalHoldCommand']);
const LOCK_HEADERS = ['ObjectLockMode', 'ObjectLockRetainUntilDate', 'ObjectLockLegalHoldStatus'] as const;

type Handler = (args: unknown) => Promise<{ output: Record<string, unknown> }>;
interface StackClient {
  readonly middlewareStack: {
    add(
      middleware: (next: Handler, context: { commandName?: string }) => Handler,
      options: { step: 'initialize'; name: string },
    ): void;
  };
}

export function denyObjectLockReads(client: { readonly middlewareStack: unknown }): void {
  (client as StackClient).middlewareStack.add(
    (next, context) => async (args) => {
      if (LOCK_READS.has(context.commandName ?? '')) {
        throw new S3ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          $metadata: { httpStatusCode: 403 },
          message: 'Access Denied',
        });
      }
      const result = await next(args);
      if (context.commandName !== 'HeadObjectCommand') return result;
      const output = { ...result.output };
      for (const header of LOCK_HEADERS) delete output[header];
      return { ...result, output };
    },
    { step: 'initialize', name: 'walcatDenyObjectLockReads' },
  );
}
