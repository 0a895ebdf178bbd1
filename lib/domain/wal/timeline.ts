import { InvalidWalNameError } from '../errors.ts';

declare const timelineBrand: unique symbol;
/** A PostgreSQL timeline id: 1 to 2^32-1. Timeline 1 has no history file. */
export type TimelineId = number & { readonly [timelineBrand]: true };

/**
 * Validates a timeline id.
 *
 * @example timelineId(2)
 */
export function timelineId(value: number): TimelineId {
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new InvalidWalNameError(`timeline ${value} is not an integer between 1 and 4294967295`);
  }
  return value as TimelineId;
}

/** Parses the 8-hex-digit timeline of a WAL or history file name. */
export function parseTimelineHex(hex: string): TimelineId {
  if (!/^[0-9A-F]{8}$/.test(hex)) {
    throw new InvalidWalNameError(`timeline ${JSON.stringify(hex)} is not 8 upper-case hex digits (e.g. 00000002)`);
  }
  return timelineId(Number.parseInt(hex, 16));
}

/** The 8-hex-digit form used in file names. */
export function formatTimelineHex(timeline: TimelineId): string {
  return timeline.toString(16).toUpperCase().padStart(8, '0');
}
