/** Formatting for people: sizes, counts, dates and durations in the browser's locale. */
import { PROVIDER_LABELS, type Provider } from '../../../shared/model';

const numberFormat = new Intl.NumberFormat();
const dateFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const monthFormat = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', timeZone: 'UTC' });

export function formatNumber(n: number): string {
  return numberFormat.format(n);
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${formatNumber(bytes)} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit] ?? 'TB'}`;
}

export function formatDate(ms: number | null): string {
  return ms === null ? 'unknown date' : dateFormat.format(ms);
}

export function formatDateTime(ms: number | null): string {
  return ms === null ? 'unknown time' : dateTimeFormat.format(ms);
}

/** `2024-03` → "Mar 2024". */
export function formatMonth(month: string): string {
  const [y, m] = month.split('-').map(Number);
  if (y === undefined || m === undefined || Number.isNaN(y) || Number.isNaN(m)) return month;
  return monthFormat.format(Date.UTC(y, m - 1, 1));
}

export function formatDuration(ms: number): string {
  // "0 s" reads like nothing happened.
  if (ms < 1000) return 'under a second';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

export function providerLabel(provider: Provider | null): string {
  return provider === null ? 'Unknown provider' : PROVIDER_LABELS[provider];
}
