/**
 * Local changes and incoming merges, written through a LocalStore transaction. Local edits stamp a hybrid logical
 * clock and mark their keys pending for the next push (C7); incoming records merge by merge.ts and never revive a
 * tombstoned key (C9).
 */
import type { Conversation, MemoryNode } from '../model';
import { sha256Hex } from './hash';
import { tickHlc } from './hlc';
import { chooseRecord, normaliseMemoryText, resolveNote, type ResolvedNote } from './merge';
import type { Clock, LocalStore, LocalTx } from './ports';
import { canonicalJson, ownerKeys, recordKey, type JsonValue, type NoteVersionRecord, type SyncRecord } from './records';
import { utf8 } from './bytes';

export interface LocalContext {
  store: LocalStore;
  clock: Clock;
  deviceId: string;
}

async function isDeleted(tx: LocalTx, record: SyncRecord): Promise<boolean> {
  for (const key of [recordKey(record), ...ownerKeys(record)]) if (await tx.hasTombstone(key)) return true;
  return false;
}

/** Merges one record into the vault. `changed` when the stored record is now a different one. */
export async function mergeRecord(tx: LocalTx, record: SyncRecord): Promise<'changed' | 'unchanged' | 'deleted'> {
  if (await isDeleted(tx, record)) return 'deleted';
  const key = recordKey(record);
  const existing = await tx.getRecord(key);
  const winner = chooseRecord(existing, record);
  if (existing !== undefined && (winner === existing || canonicalJson(winner) === canonicalJson(existing))) return 'unchanged';
  await tx.putRecord(winner);
  return 'changed';
}

/**
 * mergeRecord for each record in turn, with the reads and writes batched where the store can: one look-up of the
 * tombstones, one read of the stored records and one write of the winners, where the one-by-one path made about
 * seven IndexedDB requests per record (bench/sync-browser.bench.ts). The outcome is the same: a key seen twice
 * merges its second record against the first one's winner.
 */
export async function mergeRecords(tx: LocalTx, records: readonly SyncRecord[]): Promise<void> {
  if (!tx.tombstonedAmong || !tx.getRecords || !tx.putRecords) {
    for (const record of records) await mergeRecord(tx, record);
    return;
  }
  const keys = records.map(recordKey);
  const dead = await tx.tombstonedAmong([...new Set([...keys, ...records.flatMap(ownerKeys)])]);
  const alive = records.flatMap((record, i) => (dead.has(keys[i]!) || ownerKeys(record).some((key) => dead.has(key)) ? [] : [{ record, key: keys[i]! }]));
  const wanted = [...new Set(alive.map((a) => a.key))];
  const stored = await tx.getRecords(wanted);
  const current = new Map<string, SyncRecord | undefined>(wanted.map((key, i) => [key, stored[i]]));
  const winners = new Map<string, SyncRecord>();
  for (const { record, key } of alive) {
    const existing = current.get(key);
    const winner = chooseRecord(existing, record);
    if (existing !== undefined && (winner === existing || canonicalJson(winner) === canonicalJson(existing))) continue;
    current.set(key, winner);
    winners.set(key, winner);
  }
  if (winners.size > 0) await tx.putRecords([...winners.values()]);
}

/**
 * Deletes `key` for good (C9): a tombstone, the record and what it owns. The tombstone keeps them deleted when a
 * later export (or another device) brings the same content back.
 */
export async function applyTombstone(tx: LocalTx, key: string): Promise<void> {
  await tx.addTombstone(key);
  await tx.deleteRecord(key);
  for (const owned of await tx.keysOwnedBy(key)) await tx.deleteRecord(owned);
}

async function nextHlc(tx: LocalTx, ctx: LocalContext): Promise<string> {
  const cursor = await tx.getCursor();
  const hlc = tickHlc(cursor.hlc, ctx.deviceId, ctx.clock.now());
  await tx.setCursor({ ...cursor, hlc });
  return hlc;
}

export interface ImportOutcome {
  added: number;
  /** Items skipped because the person deleted them before (the import report says so). */
  skippedDeleted: number;
}

/** An import's conversations and nodes: a union by content id, minus what was deleted (C8, C9). */
export async function importItems(ctx: LocalContext, items: { conversations: Conversation[]; nodes: MemoryNode[] }): Promise<ImportOutcome> {
  return ctx.store.transaction(async (tx) => {
    const outcome: ImportOutcome = { added: 0, skippedDeleted: 0 };
    const records: SyncRecord[] = [
      ...items.conversations.map((value): SyncRecord => ({ type: 'conversation', id: value.id, value })),
      ...items.nodes.map((value): SyncRecord => ({ type: 'node', id: value.id, value })),
    ];
    for (const record of records) {
      const result = await mergeRecord(tx, record);
      if (result === 'deleted') outcome.skippedDeleted += 1;
      if (result === 'changed') {
        outcome.added += 1;
        await tx.markPending(recordKey(record));
      }
    }
    return outcome;
  });
}

export async function deleteItem(ctx: LocalContext, key: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    await applyTombstone(tx, key);
    await tx.markPending(key);
  });
}

/** A title, pin, tag list or synced setting: last writer wins (C10). */
export async function setValue(ctx: LocalContext, id: string, value: JsonValue): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const record: SyncRecord = { type: 'lww', id, value, hlc: await nextHlc(tx, ctx) };
    if ((await mergeRecord(tx, record)) === 'changed') await tx.markPending(recordKey(record));
  });
}

/** A personal memory; equal texts (after normalising) are one memory (C11). Returns its key. */
export async function addMemory(ctx: LocalContext, text: string): Promise<string> {
  const id = await sha256Hex(utf8(normaliseMemoryText(text)));
  return ctx.store.transaction(async (tx) => {
    const record: SyncRecord = { type: 'memory', id, text: text.trim(), hlc: await nextHlc(tx, ctx) };
    const key = recordKey(record);
    // An equal memory is already there: keep the first one's wording and clock, so the union stays one record.
    if ((await tx.getRecord(key)) !== undefined) return key;
    if ((await mergeRecord(tx, record)) === 'changed') await tx.markPending(key);
    return key;
  });
}

async function noteVersions(tx: LocalTx, conversationId: string): Promise<NoteVersionRecord[]> {
  const out: NoteVersionRecord[] = [];
  for (const key of await tx.keysOwnedBy(`conversation:${conversationId}`)) {
    if (!key.startsWith('note:')) continue;
    const record = await tx.getRecord(key);
    if (record?.type === 'note') out.push(record);
  }
  return out;
}

export async function readNote(store: LocalStore, conversationId: string): Promise<ResolvedNote | null> {
  return store.transaction(async (tx) => resolveNote(await noteVersions(tx, conversationId)));
}

/**
 * Writes the note on a conversation (C12): a new version that supersedes every current head, so it also resolves a
 * conflict (keep mine, keep theirs or keep both are edits with the chosen text).
 */
export async function editNote(ctx: LocalContext, conversationId: string, text: string): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    if (await tx.hasTombstone(`conversation:${conversationId}`)) return;
    const current = resolveNote(await noteVersions(tx, conversationId));
    const version = await nextHlc(tx, ctx);
    const record: SyncRecord = {
      type: 'note',
      id: `${conversationId}|${version}`,
      conversationId,
      version,
      parents: current?.heads.map((h) => h.version) ?? [],
      base: current?.text ?? '',
      text,
    };
    if ((await mergeRecord(tx, record)) === 'changed') await tx.markPending(recordKey(record));
  });
}

/** A stable digest of the whole synced vault: equal on two devices exactly when they hold the same vault. */
export async function vaultDigest(store: LocalStore): Promise<string> {
  const records = (await store.allRecords()).map((r) => `${recordKey(r)}=${canonicalJson(r)}`).sort();
  const tombstones = [...(await store.allTombstones())].sort();
  return sha256Hex(utf8(canonicalJson({ records, tombstones })));
}

/**
 * C38: vector records, pending for the next push, in one transaction. A node deleted meanwhile (here or by a pull)
 * keeps no vector. Returns how many were written (the app's embedding job and the command line's both use it).
 */
export async function queueVectorRecords(store: LocalStore, records: readonly SyncRecord[]): Promise<number> {
  return store.transaction(async (tx) => {
    let written = 0;
    for (const record of records) {
      if (record.type !== 'vector' || (await tx.hasTombstone(`node:${record.nodeId}`)) || (await tx.getRecord(`node:${record.nodeId}`)) === undefined) continue;
      await tx.putRecord(record);
      await tx.markPending(recordKey(record));
      written += 1;
    }
    return written;
  });
}
