/**
 * Hybrid logical clock (Kulkarni et al.): wall time plus a counter plus the device id, encoded so that string order
 * is clock order. Orders last-writer-wins edits across devices whose clocks differ a little; a clock more than
 * MAX_DRIFT_MS ahead of ours is refused (as Evolu does) so one wrong clock cannot win every future edit.
 */
import { AppError } from '../errors';

export const MAX_DRIFT_MS = 5 * 60 * 1000;

export interface Hlc {
  wall: number;
  counter: number;
  node: string;
}

const WALL_DIGITS = 15;
const COUNTER_DIGITS = 6;

export function formatHlc(hlc: Hlc): string {
  return `${String(hlc.wall).padStart(WALL_DIGITS, '0')}:${String(hlc.counter).padStart(COUNTER_DIGITS, '0')}:${hlc.node}`;
}

export function parseHlc(text: string): Hlc {
  const match = /^(\d{15}):(\d{6}):(.+)$/.exec(text);
  if (match === null) throw new AppError('VALIDATION_FAILED', { detail: `not a hybrid logical clock: ${text.slice(0, 40)}` });
  return { wall: Number(match[1]), counter: Number(match[2]), node: match[3]! };
}

export function initialHlc(node: string): string {
  return formatHlc({ wall: 0, counter: 0, node });
}

/** The next timestamp for a local event. */
export function tickHlc(last: string, node: string, now: number): string {
  const previous = parseHlc(last);
  if (now > previous.wall) return formatHlc({ wall: now, counter: 0, node });
  return formatHlc({ wall: previous.wall, counter: previous.counter + 1, node });
}

/** Folds a remote timestamp into ours; SYNC_CLOCK_SKEW when it is further ahead of our clock than MAX_DRIFT_MS. */
export function receiveHlc(last: string, remote: string, node: string, now: number): string {
  const theirs = parseHlc(remote);
  if (theirs.wall - now > MAX_DRIFT_MS) {
    throw new AppError('SYNC_CLOCK_SKEW', { detail: `remote clock ${theirs.wall - now} ms ahead of this device` });
  }
  const ours = parseHlc(last);
  const wall = Math.max(ours.wall, theirs.wall, now);
  let counter = 0;
  if (wall === ours.wall && wall === theirs.wall) counter = Math.max(ours.counter, theirs.counter) + 1;
  else if (wall === ours.wall) counter = ours.counter + 1;
  else if (wall === theirs.wall) counter = theirs.counter + 1;
  return formatHlc({ wall, counter, node });
}

export function compareHlc(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
