/**
 * Every write an import makes, each one a single IndexedDB transaction. Used by the import pipeline (worker) only.
 *
 *   createImportRow(db, input: NewImportInput): Promise<number>
 *   resumableImport(db, fileKey: string): Promise<ImportRow | undefined>   // interrupted/cancelled, same file
 *   reopenImport(db, id: number, status: 'pending' | 'processing', now: number): Promise<ImportRow>
 *   loadKnownIds(db): Promise<Set<string>>                            // every node id and conversation key, for a run
 *   indexPosition(db): Promise<IndexPosition>                          // where the next batch's segment goes
 *   prepareImportBatch(batch: ImportBatch, known: Set<string>, at: IndexPosition, inFlight?: Set<string>): PreparedBatch
 *   commitImportBatch(db, importId: number, batch: ImportBatch, timing: BatchTiming, known?: Set<string>, prepared?: PreparedBatch): Promise<BatchCounts>
 *   finishImport(db, importId: number, report: ImportReport, now: number): Promise<ImportRow>   // restores a backup's history too
 *   failImport(db, importId: number, error: AppErrorData, now: number): Promise<ImportRow>
 *   markInterruptedImports(db, now: number): Promise<number>          // on app start: 'processing' -> 'interrupted'
 */
import Dexie from 'dexie';
import type { AppErrorData } from '../../../shared/errors';
import { AppError } from '../../../shared/errors';
import type { ImportBatch, ImportReport } from '../../../shared/import';
import type { MemoryNode } from '../../../shared/model';
import { importRowSchema, toConversationRow, withStorageErrors, type ConversationRow, type ImportRow, type VaultDatabase } from './database';
import { readIndexStats, type IndexPosition } from '../search/keyword-index';
import { lastPendingSeq, SYNC_BOOKKEEPING_TABLES, tombstonedKeys, writePendingBatch } from './sync-bookkeeping';
import { prepareNewNodes, VAULT_WRITE_TABLES, VaultWriter, type PreparedNodes } from './vault-writes';
import { appendAll } from '../../../shared/arrays';

export interface NewImportInput {
  fileName: string;
  /** 'pending' when queued behind other files of the same run. */
  status: 'pending' | 'processing';
  bytes: number;
  fileKey: string;
  now: number;
}

export interface BatchTiming {
  parseMs: number;
  now: number;
  /** Called with the milliseconds of each step inside the transaction (benchmarks: where the time goes). */
  trace?: (step: string, ms: number) => void;
  /**
   * Called once every write of the batch is requested: from then on IndexedDB works in its own process, and the
   * caller can prepare the next batch without holding this one up.
   */
  writesIssued?: () => void;
}

export interface BatchCounts {
  created: number;
  deduplicated: number;
  /** Exchanges left out because the person deleted them (or their conversation) before (C9, C21). */
  skippedDeleted: number;
  conversationsCreated: number;
  conversationsUpdated: number;
  /** Where the next segment goes, after this batch. */
  indexAt: IndexPosition;
}

/**
 * A batch's new nodes, numbered and indexed before its transaction, on the assumption that nothing but the
 * batches before it writes meanwhile; commitImportBatch checks that and builds again inside when it is wrong.
 */
export interface PreparedBatch {
  nodes: PreparedNodes;
  /** Ids of the prepared nodes (the next batch, prepared while this one commits, counts them as known). */
  ids: Set<string>;
  /** The index position after this batch, if it commits as prepared. */
  next: IndexPosition;
}

export async function createImportRow(db: VaultDatabase, input: NewImportInput): Promise<number> {
  const row: Omit<ImportRow, 'id'> = {
    fileName: input.fileName,
    provider: null,
    bytes: input.bytes,
    fileKey: input.fileKey,
    status: input.status,
    progress: { bytesRead: 0, conversations: 0, nodes: 0 },
    checkpoint: null,
    counts: { created: 0, deduplicated: 0, skipped: 0, conversationsCreated: 0, conversationsUpdated: 0, skippedDeleted: 0 },
    skippedByReason: {},
    warnings: {},
    error: null,
    notices: [],
    timings: { createdAt: input.now, startedAt: input.status === 'processing' ? input.now : null, finishedAt: null, parseMs: 0, writeMs: 0 },
  };
  return withStorageErrors(() => db.imports.add(row as ImportRow));
}

/** The latest import of the same file that stopped before the end and can continue from its checkpoint. */
export async function resumableImport(db: VaultDatabase, fileKey: string): Promise<ImportRow | undefined> {
  const rows = await withStorageErrors(() => db.imports.where('fileKey').equals(fileKey).toArray());
  return rows
    .filter((row) => row.status === 'interrupted' || row.status === 'cancelled')
    .sort((x, y) => y.id - x.id)[0];
}

export async function reopenImport(db: VaultDatabase, id: number, status: 'pending' | 'processing', now: number): Promise<ImportRow> {
  return withStorageErrors(() =>
    db.transaction('rw', db.imports, async () => {
      const row = await readImport(db, id);
      const next: ImportRow = { ...row, status, error: null, timings: { ...row.timings, startedAt: status === 'processing' ? now : null, finishedAt: null } };
      await db.imports.put(next);
      return next;
    }),
  );
}

/**
 * What the vault holds, read once per import run: every node id (from the keyword index's list of documents), and
 * `conversation:<id>` for every conversation (its keys only). Asking IndexedDB per batch costs a request per id:
 * an import batch asked for its ~100 conversations one `get` each, and a fresh import finds none of them.
 * Another writer (a sync pull) can add a node or a conversation during the run, so the set is a hint, never the
 * last word: the unique `ids` index of the node chunks refuses a duplicate node, and a conversation believed new
 * is added with `add`, which fails on one that exists (commitImportBatch then reads it and keeps the newer).
 */
export async function loadKnownIds(db: VaultDatabase): Promise<Set<string>> {
  const [nodes, conversations] = await withStorageErrors(() => Promise.all([db.nodes.allIds(), db.conversations.toCollection().primaryKeys()]));
  const known = new Set(nodes);
  for (const id of conversations) known.add(knownConversationKey(id));
  return known;
}

/** A conversation's key in a run's `known` set (node ids are hex and never hold a colon). */
export function knownConversationKey(id: string): string {
  return `conversation:${id}`;
}

export async function indexPosition(db: VaultDatabase): Promise<IndexPosition> {
  const stats = await withStorageErrors(() => readIndexStats(db.searchIndex));
  return { nextDocId: stats.nextDocId, nextSeg: stats.nextSeg };
}

/** The nodes of `incoming` to store: not known yet, each once (the same node can appear twice within one batch). */
function freshNodes(incoming: readonly MemoryNode[], isKnown: (id: string) => boolean): MemoryNode[] {
  const fresh: MemoryNode[] = [];
  const inBatch = new Set<string>();
  for (const node of incoming) {
    if (isKnown(node.id) || inBatch.has(node.id)) continue;
    inBatch.add(node.id);
    fresh.push(node);
  }
  return fresh;
}

/**
 * Numbers and indexes a batch's new nodes outside any transaction (pure CPU). `inFlight`: the ids of a batch
 * still committing, which this one must not store again.
 */
export function prepareImportBatch(batch: ImportBatch, known: ReadonlySet<string>, at: IndexPosition, inFlight: ReadonlySet<string> = new Set()): PreparedBatch {
  const fresh = freshNodes(
    batch.items.flatMap((item) => item.nodes),
    (id) => known.has(id) || inFlight.has(id),
  );
  const nodes = prepareNewNodes(fresh, at);
  return {
    nodes,
    ids: new Set(fresh.map((node) => node.id)),
    next: fresh.length > 0 ? { nextDocId: at.nextDocId + fresh.length, nextSeg: at.nextSeg + 1 } : at,
  };
}

function sameNodes(prepared: PreparedNodes, fresh: readonly MemoryNode[]): boolean {
  return prepared.rows.length === fresh.length && prepared.rows.every((row, i) => row.id === fresh[i]?.id);
}

/** Keep the newer record of a conversation (a later export may carry a new title, more messages, a new raw record). */
function newerConversation(existing: ConversationRow, incoming: ConversationRow): boolean {
  return (incoming.updatedAt ?? 0) >= (existing.updatedAt ?? 0);
}

/**
 * Commits one importer batch. What must stay consistent, and why it is ONE transaction:
 * - conversations and their nodes: the importer hands over whole conversations, never half of one;
 * - nodes and the keyword index: every node has exactly one segment in the index, numbered by the stats row
 *   written here (a node without index entries would be unfindable, entries without a node would be dangling);
 * - the import row's progress and checkpoint: the checkpoint names the last record whose conversations are
 *   committed, so a resume after a closed tab skips exactly what is already stored;
 * - sync bookkeeping (C21): what was deleted before (a tombstone on the conversation or the node) is skipped and
 *   counted, and every conversation and node written is marked pending for the next push, so a crash between the
 *   write and the mark cannot leave an import that never syncs.
 * If anything fails (quota, closed database), IndexedDB rolls all of it back and the error is translated.
 */
export async function commitImportBatch(
  db: VaultDatabase,
  importId: number,
  batch: ImportBatch,
  timing: BatchTiming,
  known?: Set<string>,
  prepared?: PreparedBatch,
): Promise<BatchCounts> {
  const started = performance.now();
  const added: string[] = [];
  let lapStarted = started;
  const lap = (step: string): void => {
    if (!timing.trace) return;
    const at = performance.now();
    timing.trace(step, at - lapStarted);
    lapStarted = at;
  };
  const counts = await withStorageErrors(() =>
    db.transaction('rw', [...VAULT_WRITE_TABLES, ...SYNC_BOOKKEEPING_TABLES, 'imports'], async () => {
      // Every read in one round, then every write issued at once: each round trip needs this worker's thread,
      // which is busy preparing the next batch meanwhile (see prepareImportBatch).
      const [row, deleted, existingRows, stats, lastSeq] = await Promise.all([
        readImport(db, importId),
        tombstonedKeys(db, [
          ...batch.items.map((item) => `conversation:${item.conversation.id}`),
          ...batch.items.flatMap((item) => item.nodes.map((node) => `node:${node.id}`)),
        ]),
        // With the run's `known` set, only the conversations it lists are read; the others are believed new.
        db.conversations.bulkGet(batch.items.flatMap((item) => (known === undefined || known.has(knownConversationKey(item.conversation.id)) ? [item.conversation.id] : []))),
        readIndexStats(db.searchIndex),
        lastPendingSeq(db),
      ]);
      if (row.status !== 'processing') {
        throw new AppError('IMPORT_CANCELLED', { detail: `import ${importId} is ${row.status}` });
      }
      lap('reads (import row, tombstones, conversations, index stats)');
      const counts: Omit<BatchCounts, 'indexAt'> = { created: 0, deduplicated: 0, skippedDeleted: 0, conversationsCreated: 0, conversationsUpdated: 0 };
      const items = batch.items.flatMap((item) => {
        if (deleted.has(`conversation:${item.conversation.id}`)) {
          counts.skippedDeleted += item.nodes.length;
          return [];
        }
        const nodes = item.nodes.filter((node) => !deleted.has(`node:${node.id}`));
        counts.skippedDeleted += item.nodes.length - nodes.length;
        return [{ ...item, nodes }];
      });
      const existing = new Map(existingRows.flatMap((c) => (c ? [[c.id, c] as const] : [])));
      const toPut: ReturnType<typeof toConversationRow>[] = [];
      const toAdd: ReturnType<typeof toConversationRow>[] = [];
      for (const item of items) {
        const conversation = toConversationRow(item.conversation);
        const old = existing.get(conversation.row.id);
        if (!old) {
          counts.conversationsCreated += 1;
          (known === undefined || known.has(knownConversationKey(conversation.row.id)) ? toPut : toAdd).push(conversation);
        } else if (newerConversation(old, conversation.row) && JSON.stringify(old) !== JSON.stringify(conversation.row)) {
          counts.conversationsUpdated += 1;
          toPut.push(conversation);
        }
      }

      // The importer asked `isKnown` before this batch, but the same node can appear twice within one batch
      // (split exports repeat conversations), so check again here, inside the transaction.
      const incoming = items.flatMap((item) => item.nodes);
      const stored = known ?? new Set((await db.nodes.locate(incoming.map((n) => n.id))).keys());
      const fresh = freshNodes(incoming, (id) => stored.has(id));
      appendAll(added, fresh.map((node) => node.id));
      counts.created = fresh.length;
      counts.deduplicated = incoming.length - fresh.length + items.reduce((n, item) => n + item.duplicates, 0);

      const writer = new VaultWriter(db);
      const writes: Promise<unknown>[] = [];
      if (toPut.length > 0) writes.push(db.conversations.bulkPut(toPut.map((c) => c.row)), db.conversationRaws.bulkPut(toPut.map((c) => c.raw)));
      if (toAdd.length > 0) writes.push(addConversations(db, toAdd, counts));
      // Their titles go to the title log (search); written by writer.flush() below, or with the prepared writes.
      // A conversation believed new that another writer stored meanwhile (a rare race) keeps this title entry too.
      for (const c of [...toPut, ...toAdd]) writer.titles.imported(c.row.id, c.row.title);
      // Built before the transaction when nothing else wrote meanwhile; otherwise here.
      const asPrepared = prepared !== undefined && sameNodes(prepared.nodes, fresh) ? writer.addPrepared(prepared.nodes, stats) : null;
      let indexAt: Promise<IndexPosition>;
      if (asPrepared) {
        indexAt = asPrepared.then((next) => ({ nextDocId: next.nextDocId, nextSeg: next.nextSeg }));
        writes.push(writer.titles.flush(db.searchIndex));
      } else {
        await writer.addNew(fresh);
        await writer.flush();
        indexAt = readIndexStats(db.searchIndex).then((next) => ({ nextDocId: next.nextDocId, nextSeg: next.nextSeg }));
        lap('index build (the prepared segment was out of date)');
      }
      // One row for the batch's keys, not one per key (sync-bookkeeping.ts).
      writes.push(writePendingBatch(db, [...[...toPut, ...toAdd].map((c) => `conversation:${c.row.id}`), ...fresh.map((node) => `node:${node.id}`)], lastSeq));
      // Time until the last write was requested (their completion is the commit's).
      const writeMs = performance.now() - started;
      writes.push(
        db.imports.put({
          ...row,
          progress: { bytesRead: batch.progress.bytesRead, conversations: batch.progress.conversations, nodes: row.progress.nodes + fresh.length },
          checkpoint: batch.checkpoint,
          counts: {
            ...row.counts,
            created: row.counts.created + counts.created,
            deduplicated: row.counts.deduplicated + counts.deduplicated,
            skippedDeleted: row.counts.skippedDeleted + counts.skippedDeleted,
            conversationsCreated: row.counts.conversationsCreated + counts.conversationsCreated,
            conversationsUpdated: row.counts.conversationsUpdated + counts.conversationsUpdated,
          },
          timings: { ...row.timings, parseMs: row.timings.parseMs + timing.parseMs, writeMs: row.timings.writeMs + writeMs },
        }),
      );
      lap('dedupe, issuing the writes');
      timing.writesIssued?.();
      const [position] = await Promise.all([indexAt, ...writes]);
      lap('writes done (conversations, nodes, index, pending marks, import row)');
      return { ...counts, indexAt: position };
    }),
  );
  lap('commit');
  // Only after the transaction committed: a rolled-back batch must not count as stored.
  if (known) {
    for (const id of added) known.add(id);
    for (const item of batch.items) known.add(knownConversationKey(item.conversation.id));
  }
  return counts;
}

/**
 * Adds conversations believed new (not in the run's `known` set), with their raw records. One that another writer
 * stored meanwhile makes its `add` fail; that failure is caught (the transaction goes on), the stored row is read,
 * and the newer of the two is kept, as for a conversation known to be stored. The counts are corrected to match.
 */
function addConversations(db: VaultDatabase, conversations: readonly ReturnType<typeof toConversationRow>[], counts: Omit<BatchCounts, 'indexAt'>): Promise<unknown> {
  // Chained on Dexie's promises, not a native async function: it runs beside the batch's other writes, and Dexie
  // keeps its transaction across native awaits of one async function at a time (PrematureCommitError otherwise).
  return db.conversations
    .bulkAdd(conversations.map((c) => c.row))
    .then(
      () => [] as ReturnType<typeof toConversationRow>[],
      (error: unknown) => {
        if (!(error instanceof Dexie.BulkError)) throw error;
        return Object.keys(error.failuresByPos).flatMap((pos) => conversations[Number(pos)] ?? []);
      },
    )
    .then<unknown>((taken) => {
      const takenIds = new Set(taken.map((c) => c.row.id));
      const added = conversations.filter((c) => !takenIds.has(c.row.id));
      const raws = db.conversationRaws.bulkPut(added.map((c) => c.raw));
      if (taken.length === 0) return raws;
      const updated = db.conversations.bulkGet(taken.map((c) => c.row.id)).then((stored) => {
        const newer = taken.filter((c, i) => {
          const old = stored[i];
          return old === undefined || (newerConversation(old, c.row) && JSON.stringify(old) !== JSON.stringify(c.row));
        });
        counts.conversationsCreated -= taken.length;
        counts.conversationsUpdated += newer.length;
        return Promise.all([db.conversations.bulkPut(newer.map((c) => c.row)), db.conversationRaws.bulkPut(newer.map((c) => c.raw))]);
      });
      return Promise.all([raws, updated]);
    });
}

function sumCounts(counts: Record<string, number>): number {
  return Object.values(counts).reduce((n, c) => n + c, 0);
}

function nonZero(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).filter(([, c]) => c > 0));
}

export async function finishImport(db: VaultDatabase, importId: number, report: ImportReport, now: number): Promise<ImportRow> {
  return withStorageErrors(() =>
    db.transaction('rw', db.imports, async () => {
      const row = await readImport(db, importId);
      await restoreHistory(db, report.history);
      const next: ImportRow = {
        ...row,
        status: report.status,
        provider: report.provider ?? row.provider,
        progress: { ...row.progress, bytesRead: Math.max(row.progress.bytesRead, report.bytes) },
        // A resumed import's report counts only its own run; skipped/warnings of the earlier run are not repeated.
        counts: { ...row.counts, skipped: row.counts.skipped + sumCounts(report.skipped) },
        skippedByReason: mergeCounts(row.skippedByReason, nonZero(report.skipped)),
        warnings: mergeCounts(row.warnings, nonZero(report.warnings)),
        error: report.error ?? null,
        notices: [...row.notices, ...report.notices.filter((n) => !row.notices.some((old) => old.code === n.code))],
        timings: { ...row.timings, finishedAt: now },
      };
      await db.imports.put(next);
      return next;
    }),
  );
}

/** The past imports a backup lists, added once (restoring the same backup twice does not double the history). */
async function restoreHistory(db: VaultDatabase, history: ImportReport['history']): Promise<void> {
  if (history.length === 0) return;
  const existing = await db.imports.toArray();
  const seen = new Set(existing.map((row) => `${row.fileKey}|${row.timings.createdAt}`));
  for (const entry of history) {
    const key = `${entry.fileKey}|${entry.timings.createdAt}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const restored: Omit<ImportRow, 'id'> = { ...entry, counts: { skippedDeleted: 0, ...entry.counts }, checkpoint: null };
    await db.imports.add(restored as ImportRow);
  }
}

export async function failImport(db: VaultDatabase, importId: number, error: AppErrorData, now: number): Promise<ImportRow> {
  return withStorageErrors(() =>
    db.transaction('rw', db.imports, async () => {
      const row = await readImport(db, importId);
      const status = error.code === 'IMPORT_CANCELLED' ? 'cancelled' : 'failed';
      const next: ImportRow = { ...row, status, error, timings: { ...row.timings, finishedAt: now } };
      await db.imports.put(next);
      return next;
    }),
  );
}

/**
 * On app start no import can be running in this tab, so an import still marked 'processing' lost its tab or
 * worker mid-way. Every committed batch is whole, so the vault is consistent; the row says so and keeps its
 * checkpoint, and picking the same file again continues from there. `isRunning` guards imports another open
 * tab is still running.
 */
export async function markInterruptedImports(db: VaultDatabase, now: number, isRunning: (id: number) => boolean = () => false): Promise<number> {
  return withStorageErrors(() =>
    db.transaction('rw', db.imports, async () => {
      const stuck = (await db.imports.where('status').equals('processing').toArray()).filter((row) => !isRunning(row.id));
      for (const row of stuck) {
        await db.imports.put({
          ...row,
          status: 'interrupted',
          error: new AppError('IMPORT_INTERRUPTED').toData(),
          timings: { ...row.timings, finishedAt: now },
        });
      }
      return stuck.length;
    }),
  );
}

function mergeCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out = { ...a };
  for (const [key, value] of Object.entries(b)) out[key] = (out[key] ?? 0) + value;
  return out;
}

async function readImport(db: VaultDatabase, id: number): Promise<ImportRow> {
  const raw = await db.imports.get(id);
  if (!raw) throw new AppError('NOT_FOUND', { detail: `import ${id}` });
  return importRowSchema.parse(raw);
}
