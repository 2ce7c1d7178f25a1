/**
 * Import history for the UI and the start-up check for imports a closed tab left behind.
 *
 *   importHistory(db): Promise<ImportRow[]>                    // newest first
 *   describeImport(row: ImportRow): string                    // one honest sentence for the history list
 *   recoverInterruptedImports(db): Promise<number>            // call once on app start
 */
import { ERROR_MESSAGES } from '../../../shared/errors';
import { PROVIDER_LABELS } from '../../../shared/model';
import { importRowSchema, withStorageErrors, type ImportRow, type VaultDatabase } from '../db/database';
import { markInterruptedImports } from '../db/import-writes';
import { IMPORT_LOCK_NAME } from '../import/protocol';
import { skipSentences } from './import-text';

export async function importHistory(db: VaultDatabase): Promise<ImportRow[]> {
  // By when each import started: a restored backup adds older imports after newer ones.
  const rows = (await withStorageErrors(() => db.imports.toArray())).sort((a, b) => b.timings.createdAt - a.timings.createdAt || b.id - a.id);
  // Read loosely: a row that no longer fits the schema is shown as failed rather than breaking the list.
  return rows.map((row) => {
    const parsed = importRowSchema.safeParse(row);
    return parsed.success ? (parsed.data) : { ...row, status: 'failed' as const };
  });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function plural(n: number, one: string, many: string): string {
  return `${n.toLocaleString('en')} ${n === 1 ? one : many}`;
}

export function describeImport(row: ImportRow): string {
  const { created, deduplicated, skipped, conversationsCreated, conversationsUpdated } = row.counts;
  const from = row.provider ? ` from ${PROVIDER_LABELS[row.provider]}` : '';
  // The same sentences as the notes: on-purpose skips are not called unreadable.
  const skips = skipSentences(row);
  const skippedText =
    (skipped > 0 && skips.length > 0 ? ` ${capitalise(skips.join('; '))}.` : '') +
    (row.counts.skippedDeleted > 0 ? ` ${plural(row.counts.skippedDeleted, 'exchange was', 'exchanges were')} skipped because you deleted ${row.counts.skippedDeleted === 1 ? 'it' : 'them'}.` : '');
  switch (row.status) {
    case 'pending':
      return 'Waiting for the files before it to finish.';
    case 'processing':
      return `Importing${from}: ${plural(created, 'new exchange', 'new exchanges')} so far.`;
    case 'complete': {
      if (created === 0 && conversationsCreated === 0) {
        const updated = conversationsUpdated > 0 ? ` ${plural(conversationsUpdated, 'conversation title or record was', 'conversation titles or records were')} updated.` : '';
        return `${plural(deduplicated, 'duplicate', 'duplicates')}, nothing new: everything in this file was already in your vault.${updated}${skippedText}`;
      }
      const dupes = deduplicated > 0 ? `; ${plural(deduplicated, 'exchange was', 'exchanges were')} already in your vault` : '';
      return `Added ${plural(created, 'exchange', 'exchanges')}${from} in ${plural(conversationsCreated + conversationsUpdated, 'conversation', 'conversations')}${dupes}.${skippedText}`;
    }
    case 'cancelled':
      return `Cancelled after ${plural(created, 'new exchange', 'new exchanges')}; those are kept. Pick the same file again to continue.`;
    case 'interrupted':
      return `${ERROR_MESSAGES.IMPORT_INTERRUPTED} (${plural(created, 'new exchange', 'new exchanges')} saved.)`;
    case 'failed': {
      const kept = created > 0 ? ` ${plural(created, 'exchange', 'exchanges')} read before the problem ${created === 1 ? 'was' : 'were'} kept.` : '';
      return `${row.error?.message ?? ERROR_MESSAGES.STORAGE_FAILED}${kept}`;
    }
  }
}

/**
 * On app start: imports still 'processing' lost their tab. Imports running in another open tab hold a Web Lock
 * and are left alone (when the browser has no Web Locks, every 'processing' import is treated as lost).
 */
export async function recoverInterruptedImports(db: VaultDatabase): Promise<number> {
  if (typeof navigator !== 'undefined' && 'locks' in navigator) {
    const state = await navigator.locks.query();
    if (state.held?.some((lock) => lock.name === IMPORT_LOCK_NAME)) return 0;
  }
  return markInterruptedImports(db, Date.now());
}
