/**
 * Writing what a person writes on a conversation (SPEC C30, C32; reading it: ./edits.ts). Every write goes through
 * the sync engine's vault-ops with this vault's LocalContext (clock stamped, marked pending for the next push), then
 * tells the sync scheduler (`notifyLocalChange`).
 *
 *   renameConversation(db, id, title | null)          null or blank: back to the imported title
 *   setStarred(db, id, starred)   setTags(db, id, tags)   saveNote(db, id, text)
 *   resolveNoteConflict(db, id, shownHeads, text)     one version replacing exactly the heads the person saw
 */
import { AppError } from '../../../shared/errors';
import { editNote, setValue } from '../../../shared/sync/vault-ops';
import { withStorageErrors, type VaultDatabase } from '../db/database';
import { VAULT_WRITE_TABLES } from '../db/vault-writes';
import { localContext, notifyLocalChange } from '../sync/local-changes';
import { distinctTags, editIds, KEEP_BOTH_SEPARATOR, MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS, MAX_TITLE_CHARS, readConversationEdits } from './edits';

/** The tables DexieStore's transactions cover besides VAULT_WRITE_TABLES (a transaction joining one must hold them). */
const LOCAL_STORE_SYNC_TABLES = ['syncRecords', 'syncTombstones', 'syncPending', 'syncState'] as const;

export async function renameConversation(db: VaultDatabase, conversationId: string, title: string | null): Promise<void> {
  const clean = title?.trim().replace(/\s+/g, ' ') ?? '';
  if (clean.length > MAX_TITLE_CHARS) throw new AppError('VALIDATION_FAILED', { message: `A title is at most ${MAX_TITLE_CHARS} characters. Shorten it and save again.` });
  await setValue(await localContext(db), editIds(conversationId).title, clean === '' ? null : clean);
  notifyLocalChange('title');
}

export async function setStarred(db: VaultDatabase, conversationId: string, starred: boolean): Promise<void> {
  await setValue(await localContext(db), editIds(conversationId).pin, starred);
  notifyLocalChange('pin');
}

export async function setTags(db: VaultDatabase, conversationId: string, tags: readonly string[]): Promise<void> {
  if (tags.some((t) => t.trim().length > MAX_TAG_CHARS)) throw new AppError('VALIDATION_FAILED', { message: `A tag is at most ${MAX_TAG_CHARS} characters. Shorten it and add it again.` });
  const clean = distinctTags(tags);
  if (clean.length > MAX_TAGS) throw new AppError('VALIDATION_FAILED', { message: `A conversation has at most ${MAX_TAGS} tags. Remove one before adding another.` });
  await setValue(await localContext(db), editIds(conversationId).tags, clean);
  notifyLocalChange('tags');
}

export async function saveNote(db: VaultDatabase, conversationId: string, text: string): Promise<void> {
  if (text.length > MAX_NOTE_CHARS) throw new AppError('VALIDATION_FAILED', { message: `A note is at most ${MAX_NOTE_CHARS.toLocaleString('en')} characters. Shorten it and save again.` });
  await editNote(await localContext(db), conversationId, text);
  notifyLocalChange('note');
}

/**
 * Resolves a flagged note with `text` (keep mine, keep theirs, keep both): one new version replacing the heads the
 * person saw. When the note changed meanwhile (a pull brought another edit), nothing is written and
 * NOTE_CHANGED_MEANWHILE asks them to look again.
 */
export async function resolveNoteConflict(db: VaultDatabase, conversationId: string, shownHeads: readonly string[], text: string): Promise<void> {
  // Keep both joins versions that were each within the limit.
  if (text.length > (MAX_NOTE_CHARS + KEEP_BOTH_SEPARATOR.length) * Math.max(1, shownHeads.length)) {
    throw new AppError('VALIDATION_FAILED', { detail: 'a resolved note is longer than its versions together' });
  }
  const ctx = await localContext(db);
  const shown = [...shownHeads].sort();
  // The check and the write in one transaction (editNote's joins it), so a pull cannot slip a new head in between.
  await withStorageErrors(() =>
    db.transaction('rw', [...VAULT_WRITE_TABLES, ...LOCAL_STORE_SYNC_TABLES], async () => {
      const { note } = await readConversationEdits(db, conversationId);
      const current = (note?.heads ?? []).map((h) => h.version).sort();
      if (current.length !== shown.length || current.some((v, i) => v !== shown[i])) throw new AppError('NOTE_CHANGED_MEANWHILE');
      await editNote(ctx, conversationId, text);
    }),
  );
  notifyLocalChange('note');
}
