/** Retry timing for third-party calls: exponential backoff with full jitter, honouring Retry-After. */
import type { Random } from './random';

export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

/** Full jitter (uniform in [0, min(max, base * 2^attempt)]): spreads retries of many parallel requests apart. */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: Random): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
  return Math.floor(random() * ceiling);
}

/** Retry-After is either delta-seconds or an HTTP date; returns milliseconds to wait, or null when absent/unreadable. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? null : Math.max(0, date - nowMs);
}

/** Which HTTP statuses are worth retrying: rate limits, timeouts and server errors. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}
