import { performance } from 'node:perf_hooks';
import { formatWalgTime } from './backup-metadata.ts';

/** The current time as WAL-G writes it (RFC3339 UTC with microseconds). */
export function walgTimeNow(): string {
  const micros = Math.floor((performance.timeOrigin + performance.now()) * 1000);
  const millis = Math.floor(micros / 1000);
  return formatWalgTime(new Date(millis), micros - millis * 1000);
}
