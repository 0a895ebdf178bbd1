import { ConfigError } from '../domain/errors.ts';

/**
 * Settings of wal-g-local, the development and test stand-in for `wal-g`, read from the same environment variables
 * `wal-g` reads. This is the only file of the local archiver that reads `process.env`.
 */
export interface LocalArchiverConfig {
  readonly bucket: string;
  /** Key prefix of the cluster's root, `''` or ending in `/` (from `WALG_S3_PREFIX=s3://bucket/prefix`). */
  readonly prefix: string;
  /** `AWS_ENDPOINT_URL_S3` or `AWS_ENDPOINT_URL`; absent means AWS S3 itself. */
  readonly s3Endpoint?: string;
  readonly region: string;
  /** Static keys when both are set; otherwise the SDK's credential chain applies. */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** Directory of pg_basebackup and psql (`WALG_PG_BIN`); absent means they are looked up on PATH. */
  readonly pgBinDir?: string;
  /** Environment for pg_basebackup/psql: PATH plus the libpq connection variables (PGHOST, PGPORT, PGUSER, ...). */
  readonly libpqEnv: Readonly<Record<string, string>>;
  /** Uncompressed bytes per data tar partition before a new one starts (`WALG_TAR_SIZE_THRESHOLD`, default 1 GiB). */
  readonly tarSizeThreshold: number;
}

const LIBPQ_VARIABLES = ['PATH', 'PGHOST', 'PGPORT', 'PGUSER', 'PGDATABASE', 'PGPASSWORD', 'PGSSLMODE', 'PGAPPNAME'];
const DEFAULT_TAR_SIZE_THRESHOLD = 1024 ** 3 - 1;

/** Parses `s3://bucket/some/prefix` into bucket and key prefix (with a trailing slash unless empty). */
export function parseS3Prefix(value: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value.trim());
  if (!match?.[1]) {
    throw new ConfigError(
      `WALG_S3_PREFIX ${JSON.stringify(value)} is not of the form s3://bucket/prefix; set it to the cluster's storage root`,
    );
  }
  const path = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: match[1], prefix: path === '' ? '' : `${path}/` };
}

export function loadLocalArchiverConfig(env: NodeJS.ProcessEnv = process.env): LocalArchiverConfig {
  const s3Prefix = env.WALG_S3_PREFIX;
  if (!s3Prefix) {
    throw new ConfigError('WALG_S3_PREFIX is not set; set it to s3://bucket/prefix, the root of the cluster storage');
  }
  const { bucket, prefix } = parseS3Prefix(s3Prefix);
  const thresholdText = env.WALG_TAR_SIZE_THRESHOLD;
  const tarSizeThreshold = thresholdText ? Number(thresholdText) : DEFAULT_TAR_SIZE_THRESHOLD;
  if (!Number.isSafeInteger(tarSizeThreshold) || tarSizeThreshold < 1) {
    throw new ConfigError(`WALG_TAR_SIZE_THRESHOLD ${JSON.stringify(thresholdText)} is not a positive byte count`);
  }
  const libpqEnv: Record<string, string> = {};
  for (const name of LIBPQ_VARIABLES) {
    const value = env[name];
    if (value !== undefined) libpqEnv[name] = value;
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3 || env.AWS_ENDPOINT_URL;
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return Object.freeze({
    bucket,
    prefix,
    ...(endpoint ? { s3Endpoint: endpoint } : {}),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    ...(accessKeyId && secretAccessKey
      ? {
          credentials: {
            accessKeyId,
            secretAccessKey,
            ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
          },
        }
      : {}),
    ...(env.WALG_PG_BIN ? { pgBinDir: env.WALG_PG_BIN } : {}),
    libpqEnv: Object.freeze(libpqEnv),
    tarSizeThreshold,
  });
}
