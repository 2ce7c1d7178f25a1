/**
 * What a person writes on a conversation, synced between devices (SPEC C30, C32): a renamed title, a star (pin),
 * tags and a note. Reading them, here: plain Dexie queries, so live queries can run them, and light enough for the
 * page's first chunk (the list and search use them). Writing them: ./edit-writes.ts (through the sync engine).
 *
 *   editIds(conversationId)                           the lww record ids: title:<id>, pin:conversation:<id>, tags:conversation:<id>
 *   readConversationEdits(db, conversationId)         { edits, note } of one conversation: ONE query on the owners index
 *   readEditsIndex(db)                                every conversation's edits and the tags in use: three key-range reads
 *   conversationsMatching(index, { starred, tag })    the ids the list's filters keep (null: no such filter)
 *   listNoteConflicts(db)                             notes edited on two devices that did not merge (the conflict queue)
 *   keepBothText(first, second)                       what "keep both" saves
 *
 * Deleting a conversation (a tombstone on `conversation:<id>`) deletes all of these with it (C9): their records are
 * owned by that key (shared/sync/records.ts ownerKeys).
 */
import { z } from 'zod';
import { parseHlc } from '../../../shared/sync/hlc';
import { resolveNote, type ResolvedNote } from '../../../shared/sync/merge';
import { syncRecordSchema, type LwwRecord, type NoteVersionRecord, type SyncRecord } from '../../../shared/sync/records';
import { withStorageErrors, type SyncRecordRow, type VaultDatabase } from '../db/database';
import { renamedTitleValue } from '../search/title-index';

export const MAX_TITLE_CHARS = 300;
export const MAX_TAGS = 20;
export const MAX_TAG_CHARS = 40;
export const MAX_NOTE_CHARS = 20_000;

export interface ConversationEdits {
  /** The renamed title, or null: the imported one shows. */
  title: string | null;
  starred: boolean;
  tags: string[];
}

export const NO_EDITS: ConversationEdits = { title: null, starred: false, tags: [] };

export function editIds(conversationId: string): { title: string; pin: string; tags: string } {
  return { title: `title:${conversationId}`, pin: `pin:conversation:${conversationId}`, tags: `tags:conversation:${conversationId}` };
}

/** The record keys (`lww:` + id) start with these; a key-range read of each finds every conversation's edits. */
const PREFIX = { title: 'lww:title:', pin: 'lww:pin:conversation:', tags: 'lww:tags:conversation:' } as const;

// Read loosely (another app version may have written them), write strictly.
const pinValueSchema = z.boolean().catch(false);
const tagsValueSchema = z.array(z.string()).catch([]);

function parseRow(row: SyncRecordRow): SyncRecord | null {
  const parsed = syncRecordSchema.safeParse(row.record);
  return parsed.success ? parsed.data : null;
}

function applyLww(edits: ConversationEdits, record: LwwRecord, conversationId: string): ConversationEdits {
  const ids = editIds(conversationId);
  if (record.id === ids.title) {
    // The same reading as search's title index, so the title shown is the title searched.
    return { ...edits, title: renamedTitleValue(record.value) };
  }
  if (record.id === ids.pin) return { ...edits, starred: pinValueSchema.parse(record.value) };
  if (record.id === ids.tags) return { ...edits, tags: cleanTags(tagsValueSchema.parse(record.value)) };
  return edits;
}

/** Trimmed, spaces collapsed, without blanks or case-insensitive repeats, sorted. */
export function distinctTags(tags: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const raw of tags) {
    const tag = raw.trim().replace(/\s+/g, ' ').slice(0, MAX_TAG_CHARS);
    if (tag !== '' && !seen.has(tag.toLocaleLowerCase())) seen.set(tag.toLocaleLowerCase(), tag);
  }
  return [...seen.values()].sort((a, b) => a.localeCompare(b));
}

/** Tags as stored and shown: distinct, sorted, at most MAX_TAGS of at most MAX_TAG_CHARS. */
export function cleanTags(tags: readonly string[]): string[] {
  return distinctTags(tags).slice(0, MAX_TAGS);
}

export interface ConversationEditsView {
  conversationId: string;
  edits: ConversationEdits;
  note: ResolvedNote | null;
}

/** The edits and the note of one conversation: the records its key owns (one read of the owners index). */
export async function readConversationEdits(db: VaultDatabase, conversationId: string): Promise<ConversationEditsView> {
  const rows = await withStorageErrors(() => db.syncRecords.where('owners').equals(`conversation:${conversationId}`).toArray());
  let edits = NO_EDITS;
  const versions: NoteVersionRecord[] = [];
  for (const row of rows) {
    const record = parseRow(row);
    if (record?.type === 'lww') edits = applyLww(edits, record, conversationId);
    else if (record?.type === 'note' && record.conversationId === conversationId) versions.push(record);
  }
  return { conversationId, edits, note: resolveNote(versions) };
}

export interface EditsIndex {
  /** Conversations with at least one edit; others have NO_EDITS. */
  byConversation: Map<string, ConversationEdits>;
  /** Every tag in use, sorted. */
  tags: string[];
}

/** Every conversation's edits: three key-range reads whose size is what the person edited, never the whole vault. */
export async function readEditsIndex(db: VaultDatabase): Promise<EditsIndex> {
  const [titles, pins, tags] = await withStorageErrors(() =>
    Promise.all([PREFIX.title, PREFIX.pin, PREFIX.tags].map((prefix) => db.syncRecords.where('key').startsWith(prefix).toArray())),
  );
  const byConversation = new Map<string, ConversationEdits>();
  const add = (rows: SyncRecordRow[] | undefined, prefix: string): void => {
    for (const row of rows ?? []) {
      const record = parseRow(row);
      if (record?.type !== 'lww') continue;
      const conversationId = row.key.slice(prefix.length);
      byConversation.set(conversationId, applyLww(byConversation.get(conversationId) ?? NO_EDITS, record, conversationId));
    }
  };
  add(titles, PREFIX.title);
  add(pins, PREFIX.pin);
  add(tags, PREFIX.tags);
  const allTags = cleanTags([...byConversation.values()].flatMap((e) => e.tags));
  return { byConversation, tags: allTags };
}

/** Conversations the filters keep, or null when no edit filter is set (then every conversation qualifies). */
export function conversationsMatching(index: EditsIndex, filter: { starred: boolean; tag: string | null }): Set<string> | null {
  if (!filter.starred && filter.tag === null) return null;
  const tag = filter.tag?.toLocaleLowerCase() ?? null;
  const ids = new Set<string>();
  for (const [id, edits] of index.byConversation) {
    if (filter.starred && !edits.starred) continue;
    if (tag !== null && !edits.tags.some((t) => t.toLocaleLowerCase() === tag)) continue;
    ids.add(id);
  }
  return ids;
}

// ---- The conflict queue ----------------------------------------------------------------------------------------

export interface NoteHead {
  version: string;
  text: string;
  /** When the edit was made (the clock's wall time). */
  editedAt: number;
  /** The device that made it (compare with this device's id for "mine"). */
  device: string;
}

export interface NoteConflict {
  conversationId: string;
  /** The title shown for the conversation (renamed, else imported; empty when it is untitled). */
  title: string;
  /** Oldest first. */
  heads: NoteHead[];
}

export function noteHeads(note: ResolvedNote): NoteHead[] {
  return note.heads.map((h) => {
    // A version another app version wrote in a form this one cannot read still shows, without its time.
    let clock = { wall: 0, node: '' };
    try {
      clock = parseHlc(h.version);
    } catch {
      // shown as "unknown time, another device"
    }
    return { version: h.version, text: h.text, editedAt: clock.wall, device: clock.node };
  });
}

/** Every note whose concurrent versions did not merge, oldest conflict first. Reads note versions only. */
export async function listNoteConflicts(db: VaultDatabase): Promise<NoteConflict[]> {
  const rows = await withStorageErrors(() => db.syncRecords.where('key').startsWith('note:').toArray());
  const byConversation = new Map<string, NoteVersionRecord[]>();
  for (const row of rows) {
    const record = parseRow(row);
    if (record?.type !== 'note') continue;
    const list = byConversation.get(record.conversationId) ?? [];
    list.push(record);
    byConversation.set(record.conversationId, list);
  }
  const flagged: { conversationId: string; heads: NoteHead[] }[] = [];
  for (const [conversationId, versions] of byConversation) {
    const note = resolveNote(versions);
    if (note?.conflict) flagged.push({ conversationId, heads: noteHeads(note) });
  }
  const ids = flagged.map((f) => f.conversationId);
  const [conversations, titles] = await withStorageErrors(() =>
    Promise.all([db.conversations.bulkGet(ids), db.syncRecords.bulkGet(ids.map((id) => `lww:${editIds(id).title}`))]),
  );
  const conflicts = flagged.map((f, i): NoteConflict => {
    const titleRecord = titles[i] ? parseRow(titles[i]) : null;
    const renamed = titleRecord?.type === 'lww' ? applyLww(NO_EDITS, titleRecord, f.conversationId).title : null;
    return { ...f, title: renamed ?? conversations[i]?.title ?? '' };
  });
  return conflicts.sort((a, b) => (a.heads.at(-1)?.editedAt ?? 0) - (b.heads.at(-1)?.editedAt ?? 0));
}

/** Keep both: the first version, a separator line that says what follows, the second. */
export const KEEP_BOTH_SEPARATOR = '\n\n-------- the other version, kept too --------\n\n';

export function keepBothText(first: string, second: string): string {
  return `${first}${KEEP_BOTH_SEPARATOR}${second}`;
}
