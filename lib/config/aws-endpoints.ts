/**
 * Where the AWS clients point. Region, credentials and the standard `AWS_ENDPOINT_URL*` variables are otherwise
 * honoured by the SDK itself; the endpoints here are what lib/config read from those variables, so the S3 client
 * knows when it talks to an S3-compatible store or emulator. Config owns the shape; the AWS client factories take it.
 */
export interface AwsEndpoints {
  readonly region?: string;
  /** Static credentials, only for local emulators (s3rver knows the key `S3RVER`); otherwise the default chain. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly s3?: string;
  readonly dynamodb?: string;
  readonly ssm?: string;
  /**
   * `AWS_ENDPOINT_URL_SQS`, else `AWS_ENDPOINT_URL`. Queue URLs name the service's own host, and the SDK sends to
   * the queue URL's host unless told otherwise, so the SQS client needs to know an override is set.
   */
  readonly sqs?: string;
}
