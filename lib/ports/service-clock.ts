/**
 * The time as a storage service sees it (S3 answers every request with a `Date` header): what retention compares
 * its own clock with before it plans or deletes, since a clock days off moves the PITR window.
 */
export interface ServiceClock {
  /** The service's current time, or undefined when its answer carried none. */
  serviceTime(bucket: string): Promise<Date | undefined>;
}
