import type { ContinuityStatus } from '../../domain/continuity/gap-detection.ts';

/** ANSI colours for human output; every function is the identity when colour is off. */
export interface Palette {
  readonly status: (status: ContinuityStatus) => string;
  readonly dim: (text: string) => string;
  readonly bold: (text: string) => string;
}

const wrap = (code: number, text: string): string => `\u001b[${code}m${text}\u001b[0m`;

/** `color` comes from the composition root: stdout is a TTY and NO_COLOR is unset. */
export function palette(color: boolean): Palette {
  if (!color) return { status: (status) => status, dim: (text) => text, bold: (text) => text };
  return {
    status: (status) => wrap(status === 'OK' ? 32 : status === 'WARNING' ? 33 : 31, wrap(1, status)),
    dim: (text) => wrap(2, text),
    bold: (text) => wrap(1, text),
  };
}

/** `2026-11-21 12:00:01Z`: minutes and seconds matter on call, milliseconds do not. */
export function shortTime(at: Date): string {
  return `${at.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** `42s`, `17m`, `3h 05m`, `2d 04h`. */
export function shortAge(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours}h ${String(minutes % 60).padStart(2, '0')}m`;
  return `${Math.floor(hours / 24)}d ${String(hours % 24).padStart(2, '0')}h`;
}
