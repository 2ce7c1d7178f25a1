// SPEC C30-C32: what a person writes (star, rename, tags, note, memories) through the app's own read/write helpers
// (web/src/vault/edits.ts, edit-writes.ts, memories.ts) on two real vault databases (fake-indexeddb + DexieStore), synced by the real
// engine through the in-memory server.
import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../shared/errors';
import { SyncEngine } from '../../shared/sync/engine';
import { deriveSyncKeys, type SyncKeys } from '../../shared/sync/keys';
import { MemoryServer, MemoryTransport } from '../../shared/sync/testing/memory-server';
import { seededRandom } from '../../shared/sync/testing/seeded';
import { deleteItem, importItems, mergeRecord, vaultDigest } from '../../shared/sync/vault-ops';
import type { VaultDatabase } from '../../web/src/db/database';
import { deviceId, localContext, onLocalChange } from '../../web/src/sync/local-changes';
import { listConversations } from '../../web/src/vault/conversations';
import {
  KEEP_BOTH_SEPARATOR,
  MAX_TAGS,
  NO_EDITS,
  cleanTags,
  conversationsMatching,
  keepBothText,
  listNoteConflicts,
  readConversationEdits,
  readEditsIndex,
} from '../../web/src/vault/edits';
import { renameConversation, resolveNoteConflict, saveNote, setStarred, setTags } from '../../web/src/vault/edit-writes';
import { addMemory, deleteMemory, listMemories, migrateLegacyMemories, replaceMemory } from '../../web/src/vault/memories';
import { retrieveContext } from '../../web/src/chat/ask';
import { SearchService } from '../../web/src/search/search';
import { useFreshDatabases } from './fresh-db';
import { contractConversation, contractNode } from './sync-local-store.contract';

const freshDb = useFreshDatabases('edits');

async function code(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return isAppError(error) ? error.code : `not an AppError: ${String(error)}`;
  }
  return 'no error';
}

/** Two devices, each a real vault database with the app's LocalContext, and a sync engine on it. */
async function twoDevices() {
  const server = new MemoryServer({ clock: { now: () => Date.now() } });
  const keys: SyncKeys = await deriveSyncKeys(crypto.subtle, new Uint8Array(32).fill(3), { vaultId: Buffer.alloc(16, 2).toString('base64') });
  const random = seededRandom(7);
  const device = async () => {
    const db = await freshDb();
    const ctx = await localContext(db);
    const engine = new SyncEngine({
      store: ctx.store,
      transport: new MemoryTransport(server, 'user'),
      cipher: crypto.subtle,
      random,
      clock: ctx.clock,
      sleep: () => Promise.resolve(),
      keys,
      deviceId: ctx.deviceId,
    });
    const sync = async () => expect((await engine.sync()).state).toBe('in-sync');
    return { db, ctx, sync };
  };
  const a = await device();
  const b = await device();
  expect(a.ctx.deviceId).not.toBe(b.ctx.deviceId);
  const conversations = [1, 2, 3].map((i) => contractConversation(i, `topic${i}`));
  await importItems(a.ctx, { conversations, nodes: conversations.map((c, i) => contractNode(i + 1, c.id, `topic${i + 1}`)) });
  await a.sync();
  await b.sync();
  const syncAll = async () => {
    await a.sync();
    await b.sync();
    await a.sync();
    expect(await vaultDigest(a.ctx.store)).toBe(await vaultDigest(b.ctx.store));
  };
  return { a, b, syncAll };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 3));

describe('C30: star, rename and tags sync as last-writer-wins records owned by the conversation', () => {
  it('set on device A, they show on device B (reader, list and filters); deleting the conversation on B removes them on A', async () => {
    const { a, b, syncAll } = await twoDevices();
    const reasons: string[] = [];
    const stop = onLocalChange((reason) => reasons.push(reason));
    try {
      await setStarred(a.db, 'claude:c1', true);
      await renameConversation(a.db, 'claude:c1', '  Bread   experiments ');
      await setTags(a.db, 'claude:c1', ['baking', 'Baking', ' sourdough ', '']);
      await setTags(a.db, 'claude:c2', ['baking']);
    } finally {
      stop();
    }
    // Every write told the sync scheduler, and was marked pending for the next push (C7).
    expect(reasons).toEqual(['pin', 'title', 'tags', 'tags']);
    expect((await a.ctx.store.transaction((tx) => tx.pending())).map((p) => p.key)).toEqual(
      expect.arrayContaining(['lww:pin:conversation:claude:c1', 'lww:title:claude:c1', 'lww:tags:conversation:claude:c1']),
    );
    await syncAll();

    expect((await readConversationEdits(b.db, 'claude:c1')).edits).toEqual({ title: 'Bread experiments', starred: true, tags: ['baking', 'sourdough'] });
    expect((await readConversationEdits(b.db, 'claude:c3')).edits).toEqual(NO_EDITS);
    const index = await readEditsIndex(b.db);
    expect(index.tags).toEqual(['baking', 'sourdough']);
    expect([...index.byConversation.keys()].sort()).toEqual(['claude:c1', 'claude:c2']);
    const starred = await listConversations(b.db, { only: conversationsMatching(index, { starred: true, tag: null }) });
    expect(starred.items.map((c) => c.id)).toEqual(['claude:c1']);
    const baking = await listConversations(b.db, { only: conversationsMatching(index, { starred: false, tag: 'BAKING' }) });
    expect(baking.items.map((c) => c.id).sort()).toEqual(['claude:c1', 'claude:c2']);
    expect(conversationsMatching(index, { starred: false, tag: null })).toBeNull();
    expect((await listConversations(b.db, { only: conversationsMatching(index, { starred: true, tag: 'nothing' }) })).total).toBe(0);

    // Un-star and back to the imported title on B; A follows.
    await setStarred(b.db, 'claude:c1', false);
    await renameConversation(b.db, 'claude:c1', '   ');
    await syncAll();
    expect((await readConversationEdits(a.db, 'claude:c1')).edits).toEqual({ title: null, starred: false, tags: ['baking', 'sourdough'] });

    // Deleting the conversation takes its edits and note along on every device (C9).
    await saveNote(b.db, 'claude:c1', 'a note');
    await deleteItem(await localContext(b.db), 'conversation:claude:c1');
    await syncAll();
    expect(await readConversationEdits(a.db, 'claude:c1')).toEqual({ conversationId: 'claude:c1', edits: NO_EDITS, note: null });
    expect(await a.db.syncRecords.where('owners').equals('conversation:claude:c1').count()).toBe(0);
    expect((await readEditsIndex(a.db)).tags).toEqual(['baking']);
    // A later edit of a deleted conversation stores nothing.
    await setStarred(a.db, 'claude:c1', true);
    expect((await readConversationEdits(a.db, 'claude:c1')).edits.starred).toBe(false);
  });

  it('concurrent renames on two devices: the later one wins on both', async () => {
    const { a, b, syncAll } = await twoDevices();
    await renameConversation(a.db, 'claude:c2', 'From A');
    await tick();
    await renameConversation(b.db, 'claude:c2', 'From B');
    await syncAll();
    expect((await readConversationEdits(a.db, 'claude:c2')).edits.title).toBe('From B');
    expect((await readConversationEdits(b.db, 'claude:c2')).edits.title).toBe('From B');
  });

  it('tags are cleaned and bounded; a title is bounded', async () => {
    const db = await freshDb();
    expect(cleanTags([' b ', 'a', 'A', 'c  d', ''])).toEqual(['a', 'b', 'c d']);
    const many = Array.from({ length: MAX_TAGS + 1 }, (_, i) => `t${i}`);
    expect(await code(setTags(db, 'claude:c1', many))).toBe('VALIDATION_FAILED');
    expect(await code(setTags(db, 'claude:c1', ['x'.repeat(41)]))).toBe('VALIDATION_FAILED');
    expect(await code(renameConversation(db, 'claude:c1', 'x'.repeat(301)))).toBe('VALIDATION_FAILED');
    expect(await db.syncRecords.count()).toBe(0);
  });
});

describe('C32: notes merge line by line; overlapping edits wait in the conflict queue until the person chooses', () => {
  it('non-overlapping edits merge; overlapping ones are flagged on both devices; keep both resolves them everywhere', async () => {
    const { a, b, syncAll } = await twoDevices();
    await saveNote(a.db, 'claude:c1', 'first line\nsecond line\nthird line');
    await syncAll();

    // Different lines: merged, no flag.
    await saveNote(a.db, 'claude:c1', 'first line (A)\nsecond line\nthird line');
    await saveNote(b.db, 'claude:c1', 'first line\nsecond line\nthird line (B)');
    await syncAll();
    for (const d of [a, b]) {
      expect((await readConversationEdits(d.db, 'claude:c1')).note).toMatchObject({ text: 'first line (A)\nsecond line\nthird line (B)', conflict: false });
    }
    expect(await listNoteConflicts(a.db)).toEqual([]);

    // The same line on both: kept both, flagged, listed in the queue on both devices with both versions.
    await renameConversation(b.db, 'claude:c1', 'Bread notes');
    await saveNote(a.db, 'claude:c1', 'first line (A)\nsecond line, said by A\nthird line (B)');
    await tick();
    await saveNote(b.db, 'claude:c1', 'first line (A)\nsecond line, said by B\nthird line (B)');
    await syncAll();
    const conflictsOnB = await listNoteConflicts(b.db);
    expect(conflictsOnB).toHaveLength(1);
    const [conflict] = conflictsOnB;
    expect(conflict?.conversationId).toBe('claude:c1');
    expect(conflict?.title).toBe('Bread notes');
    expect(conflict?.heads.map((h) => h.text)).toEqual(['first line (A)\nsecond line, said by A\nthird line (B)', 'first line (A)\nsecond line, said by B\nthird line (B)']);
    expect(conflict?.heads.map((h) => h.device)).toEqual([await deviceId(a.db), await deviceId(b.db)]);
    expect(conflict?.heads.every((h) => Math.abs(h.editedAt - Date.now()) < 60_000)).toBe(true);
    expect((await readConversationEdits(a.db, 'claude:c1')).note?.conflict).toBe(true);
    expect(await listNoteConflicts(a.db)).toEqual(conflictsOnB);

    // A choice made on heads that are no longer the current ones writes nothing.
    const shown = conflict?.heads.map((h) => h.version) ?? [];
    expect(await code(resolveNoteConflict(b.db, 'claude:c1', shown.slice(0, 1), 'stale'))).toBe('NOTE_CHANGED_MEANWHILE');

    // Keep both on B: one version replacing both heads; A sees it after sync and the queue is empty everywhere.
    const both = keepBothText(conflict?.heads[1]?.text ?? '', conflict?.heads[0]?.text ?? '');
    expect(both).toContain(KEEP_BOTH_SEPARATOR);
    await resolveNoteConflict(b.db, 'claude:c1', shown, both);
    expect(await listNoteConflicts(b.db)).toEqual([]);
    await syncAll();
    expect(await listNoteConflicts(a.db)).toEqual([]);
    expect((await readConversationEdits(a.db, 'claude:c1')).note).toMatchObject({ text: both, conflict: false });
  });
});

describe('C32: a choice never silently replaces a version that arrived while the person was choosing', () => {
  it('a head merged concurrently with the resolution either stops it (NOTE_CHANGED_MEANWHILE) or stays a head', async () => {
    for (const pullFirst of [true, false]) {
      const db = await freshDb();
      const ctx = await localContext(db);
      const conversation = contractConversation(9, 'race');
      await importItems(ctx, { conversations: [conversation], nodes: [] });
      await saveNote(db, conversation.id, 'base');
      const base = (await readConversationEdits(db, conversation.id)).note?.heads[0]?.version ?? '';
      await saveNote(db, conversation.id, 'mine');
      // Versions from another device that also replaced `base`: one seen before the choice, one arriving during it.
      const theirs = (n: number, text: string) => ({
        type: 'note' as const,
        id: `${conversation.id}|000000000000${n}:000000:other`,
        conversationId: conversation.id,
        version: `000000000000${n}:000000:other`,
        parents: [base],
        base: 'base',
        text,
      });
      await ctx.store.transaction((tx) => mergeRecord(tx, theirs(1, 'theirs')));
      const late = theirs(2, 'late arrival');
      const { note } = await readConversationEdits(db, conversation.id);
      expect(note?.conflict).toBe(true);
      const shown = note?.heads.map((h) => h.version) ?? [];
      const pull = () => ctx.store.transaction((tx) => mergeRecord(tx, late));
      const choose = () => resolveNoteConflict(db, conversation.id, shown, 'chosen');
      const outcomes = pullFirst ? await Promise.allSettled([pull(), choose()]) : await Promise.allSettled([choose(), pull()]);
      const chose = outcomes[pullFirst ? 1 : 0];
      const heads = (await readConversationEdits(db, conversation.id)).note?.heads.map((h) => h.text) ?? [];
      if (chose?.status === 'rejected') {
        expect(isAppError(chose.reason) && chose.reason.code).toBe('NOTE_CHANGED_MEANWHILE');
        expect(heads).toContain('late arrival');
        expect(heads).not.toContain('chosen');
      } else {
        expect(heads.sort()).toEqual(['chosen', 'late arrival']);
      }
    }
  });
});

describe('C31: memories are synced records, the one source of truth', () => {
  it('moves the rows of the older memories table once (equal texts are one), then adds, edits and deletes across devices', async () => {
    const { a, b, syncAll } = await twoDevices();
    await a.db.memories.bulkAdd([
      { id: 'old-1', text: 'I live in Lisbon', source: null, createdAt: 1, updatedAt: 1 },
      { id: 'old-2', text: '  i live in   LISBON ', source: null, createdAt: 2, updatedAt: 2 },
      { id: 'old-3', text: 'I prefer metric units', source: { conversationId: 'cogzy:x', nodeId: 'n' }, createdAt: 3, updatedAt: 3 },
      { id: 'old-4', text: '   ', source: null, createdAt: 4, updatedAt: 4 },
    ]);
    expect(await migrateLegacyMemories(a.db)).toBe(4);
    // Once per page; the table is empty afterwards either way.
    expect(await migrateLegacyMemories(a.db)).toBe(4);
    expect(await a.db.memories.count()).toBe(0);
    expect((await listMemories(a.db)).map((m) => m.text)).toEqual(['I prefer metric units', 'I live in Lisbon']);

    await addMemory(b.db, 'My dog is called Pixel');
    await syncAll();
    expect((await listMemories(a.db)).map((m) => m.text).sort()).toEqual(['I live in Lisbon', 'I prefer metric units', 'My dog is called Pixel']);
    expect(await listMemories(b.db)).toEqual(await listMemories(a.db));

    // Equal texts stay one memory; an edit is a new memory replacing the old one.
    const lisbon = (await listMemories(b.db)).find((m) => m.text === 'I live in Lisbon');
    expect(await addMemory(b.db, 'i live in lisbon')).toBe(lisbon?.key);
    const porto = await replaceMemory(b.db, lisbon?.key ?? '', 'I live in Porto');
    expect(porto).not.toBe(lisbon?.key);
    const pixel = (await listMemories(b.db)).find((m) => m.text.startsWith('My dog'));
    await deleteMemory(b.db, pixel?.key ?? '');
    await syncAll();
    expect((await listMemories(a.db)).map((m) => m.text).sort()).toEqual(['I live in Porto', 'I prefer metric units']);

    // A deleted text stays deleted (C9): saying so instead of doing nothing; blank and overlong texts are refused.
    expect(await code(addMemory(a.db, 'my dog is called pixel'))).toBe('MEMORY_DELETED_BEFORE');
    expect(await code(addMemory(a.db, '   '))).toBe('VALIDATION_FAILED');
    expect(await code(addMemory(a.db, 'x'.repeat(2_001)))).toBe('VALIDATION_FAILED');
    expect(await code(deleteMemory(a.db, 'conversation:claude:c1'))).toBe('INTERNAL');
    expect(await a.db.conversations.get('claude:c1')).toBeDefined();
  });

  it('the ask context sends the synced memories, including ones saved before sync that were not moved yet', async () => {
    const db = await freshDb();
    await db.memories.add({ id: 'old', text: 'I am vegetarian', source: null, createdAt: 1, updatedAt: 1 });
    await addMemory(db, 'I cook for four');
    const items = await retrieveContext({ db, search: new SearchService(db), close: () => db.close() }, 'what should I cook?', [], new Set());
    expect(items.filter((i) => i.kind === 'memory').map((i) => i.text).sort()).toEqual(['I am vegetarian', 'I cook for four']);
    expect(await db.memories.count()).toBe(0);
  });

  it('a vault whose memories table is empty migrates nothing and writes nothing', async () => {
    const db: VaultDatabase = await freshDb();
    expect(await migrateLegacyMemories(db)).toBe(0);
    expect(await db.syncRecords.count()).toBe(0);
    expect(await db.syncPending.count()).toBe(0);
  });
});
