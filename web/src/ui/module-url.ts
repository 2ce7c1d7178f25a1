/**
 * The script a failed dynamic `import()` names (lazy-view.tsx retries it under a new address).
 *
 *   failedModuleUrl(error, origin): string | null   // null when the message names none, or another origin's
 */
/** The same-origin script a failed dynamic import names in its message (Chromium and Firefox do; Safari does not). */
export function failedModuleUrl(error: unknown, origin: string): string | null {
  const message = error instanceof Error ? error.message : String(error);
  const match = /https?:\/\/[^\s'"`]+\.m?js(?:\?[^\s'"`]*)?/.exec(message);
  if (!match) return null;
  try {
    const url = new URL(match[0]);
    return url.origin === origin ? url.href : null;
  } catch {
    return null;
  }
}
