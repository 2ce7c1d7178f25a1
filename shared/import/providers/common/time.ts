/** Timestamps as exports write them, turned into epoch milliseconds. */
import type { ParseContext } from '../../provider';

/** `null` = the field is absent; `'invalid'` = present but unreadable (the caller counts it). */
export type ParsedTime = number | null | 'invalid';

const ISO_FRACTION = /^(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * ISO 8601 with any number of fraction digits (Claude writes microseconds), an optional zone (none = UTC),
 * Unix seconds or milliseconds (numbers or numeric strings), and MongoDB extended JSON (`{"$date": ...}`,
 * `{"$numberLong": "..."}`) as Grok writes it.
 */
export function parseTime(value: unknown): ParsedTime {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? fromEpochNumber(value) : 'invalid';
  if (typeof value === 'string') return parseTimeString(value.trim());
  if (typeof value === 'object' && !Array.isArray(value)) {
    const record = value as Record<string, unknown>;
    if ('$date' in record) return parseTime(record.$date);
    if ('$numberLong' in record) return parseTime(record.$numberLong);
  }
  return 'invalid';
}

/** `parseTime` for fields where an unreadable value is tolerated: null, with a counted 'bad-timestamp' warning. */
export function timeOrWarn(value: unknown, ctx: ParseContext, what: string): number | null {
  const parsed = parseTime(value);
  if (parsed !== 'invalid') return parsed;
  ctx.warn('bad-timestamp', `${what}: ${JSON.stringify(value)}`);
  return null;
}

function fromEpochNumber(value: number): number {
  // Below 1e11 the number can only be seconds (1e11 ms is 1973; 1e11 s is the year 5138).
  return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
}

function parseTimeString(text: string): ParsedTime {
  if (/^-?\d+(\.\d+)?$/.test(text)) return fromEpochNumber(Number(text));
  const match = ISO_FRACTION.exec(text);
  if (!match) return 'invalid';
  const [, main = '', fraction = '', zone = ''] = match;
  const millis = (fraction + '000').slice(0, 3);
  const normalisedZone = zone === '' ? 'Z' : zone.toUpperCase() === 'Z' ? 'Z' : zone.includes(':') ? zone : `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${main.replace(' ', 'T')}${main.length === 16 ? ':00' : ''}.${millis}${normalisedZone}`);
  return Number.isFinite(ms) ? ms : 'invalid';
}

/** The same instant as ISO text (UTC, milliseconds). */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}
