/** Placeholder until the shared harness (s3rver, dynalite, PostgreSQL) lands; replaced by the harness work. */
export default function setup(): void {}
