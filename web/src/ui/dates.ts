/** `<input type=date>` values (`YYYY-MM-DD`, local time) ↔ epoch-ms bounds for filters. */

export function startOfDay(value: string | null | undefined): number | null {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
  const t = new Date(`${value}T00:00:00`).getTime();
  return Number.isNaN(t) ? null : t;
}

export function endOfDay(value: string | null | undefined): number | null {
  const start = startOfDay(value);
  return start === null ? null : start + 24 * 60 * 60 * 1000 - 1;
}

/** `YYYY-MM` → the UTC month's [first ms, last ms]. */
export function monthBounds(month: string | null | undefined): [number, number] | null {
  const m = month ? /^(\d{4})-(\d{2})$/.exec(month) : null;
  if (!m) return null;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return [Date.UTC(y, mo - 1, 1), Date.UTC(y, mo, 1) - 1];
}
