/**
 * Public API of the importer (pure: runs in a Web Worker, in node, in tests).
 *
 *   const importer = importExport(source, { digest, now, isKnown, signal });
 *   for (;;) {
 *     const step = await importer.next();
 *     if (step.done) { const report = step.value; break; }   // ImportReport, never a throw
 *     await db.transaction('rw', ..., () => write(step.value.items));  // one batch = one transaction
 *     saveCheckpoint(step.value.checkpoint.records);                    // resume with { skipRecords }
 *   }
 *
 * - `source`: `{ name, size, stream() }`; the format (zip / JSON / CSV / HTML) and the provider are detected from
 *   the content only, never from names. Zip entries are each detected on their own.
 * - Batches: `items` hold whole conversations only (a conversation is delivered whole or not at all). Every
 *   conversation read is delivered (put by id; a newer export may change its title or raw record); `nodes` holds only
 *   its NEW nodes (ids not known to `isKnown` and not delivered earlier in this run), active and inactive;
 *   `duplicates` counts the rest. `progress` is cumulative.
 * - `isKnown(ids)` must reflect every batch already yielded: commit a batch before calling `next()` again. Without it
 *   every node counts as new, and a conversation id seen twice in one import is skipped ('duplicate-conversation').
 * - Resume: pass the last committed `checkpoint.records` as `skipRecords`; the importer reads the file again but does
 *   not deliver conversations completed up to that point (the report then counts only what this run delivered).
 *   Re-delivering is harmless anyway: ids are content hashes.
 * - Memory: only the record being read and the batch in flight are held (a batch ends at `batchSize` conversations
 *   or `batchChars` characters of raw records, default ~2 M), so a 1 GB export imports in a few hundred MB. A source
 *   chunk is parsed 64 KB at a time, and what each slice completes joins the batch before the next is parsed, so a
 *   source of large chunks does not hold all of a chunk's conversations at once. Callers with nothing to commit per
 *   batch can lower `batchChars`: what leaves sooner dies in V8's young generation (the import CLI: 1, a batch per
 *   conversation).
 * - End: the generator returns an `ImportReport`. status 'complete'; 'failed' with `error` (truncated JSON or zip,
 *   not an export, encrypted zip, zip bomb, too deep ...: conversations completed before the failure were still
 *   delivered, but the import is not complete); 'cancelled' (signal aborted; nothing after the last batch delivered).
 *   Expected failures never throw out of the generator.
 * - Node ids: shared/import/identity.ts (content hash; stable across re-imports and cumulative exports).
 */
export { importExport } from './core/import-export';
export {
  DEFAULT_LIMITS,
  importEntryReportSchema,
  importReportSchema,
  type ImportBatch,
  type ImportedConversation,
  type ImportEntryReport,
  type ImportLimits,
  type ImportOptions,
  type ImportProgress,
  type ImportReport,
  type ImportSource,
} from './core/types';
export { assignNodeIds, identityBytes, normaliseText, type Digest } from './identity';
export { PROVIDER_ADAPTERS } from './providers';
export { SKIP_REASONS, WARNING_KINDS, type SkipReason, type WarningKind } from './provider';
