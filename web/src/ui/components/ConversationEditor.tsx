/**
 * What the person writes on a conversation, in the reader: star, rename (the imported title stays as the fallback),
 * tags, and a note. Everything is saved through vault/edits.ts (synced, last writer wins; the note merges line by
 * line) and shows again through the reader's live query, so an edit pulled from another device appears by itself.
 */
import { createEffect, createSignal, For, on, Show, type JSX } from 'solid-js';
import { toAppError } from '../../../../shared/errors';
import type { ResolvedNote } from '../../../../shared/sync/merge';
import { renameConversation, saveNote, setStarred, setTags } from '../../vault/edit-writes';
import { MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TITLE_CHARS, type ConversationEdits } from '../../vault/edits';
import { vault } from '../data';
import { href } from '../router';

async function run(work: (db: Awaited<ReturnType<typeof vault>>['db']) => Promise<void>, onError: (message: string | null) => void): Promise<boolean> {
  try {
    await work((await vault()).db);
    onError(null);
    return true;
  } catch (e) {
    onError(toAppError(e).message);
    return false;
  }
}

export function ConversationTools(props: { conversationId: string; importedTitle: string; edits: ConversationEdits }): JSX.Element {
  const [renaming, setRenaming] = createSignal<string | null>(null);
  const [tagDraft, setTagDraft] = createSignal('');
  const [error, setError] = createSignal<string | null>(null);
  let renameButton: HTMLButtonElement | undefined;
  let tagInput: HTMLInputElement | undefined;

  const startRename = (): void => {
    // The field is rendered as the signal changes: focused at once, no key typed right after the click is lost.
    setRenaming(props.edits.title ?? props.importedTitle);
    document.getElementById('rename-input')?.focus();
  };
  const stopRename = (): void => {
    setRenaming(null);
    renameButton?.focus();
  };
  const saveTitle = async (title: string | null): Promise<void> => {
    // The imported title typed back in is no rename at all.
    const value = title !== null && title.trim() === props.importedTitle.trim() ? null : title;
    if (await run((db) => renameConversation(db, props.conversationId, value), setError)) stopRename();
  };
  const addTag = async (): Promise<void> => {
    const tag = tagDraft().trim();
    if (tag === '') return;
    if (await run((db) => setTags(db, props.conversationId, [...props.edits.tags, tag]), setError)) setTagDraft('');
  };
  const removeTag = async (tag: string): Promise<void> => {
    await run((db) => setTags(db, props.conversationId, props.edits.tags.filter((t) => t !== tag)), setError);
    tagInput?.focus();
  };

  return (
    <div class="conv-tools" data-testid="conversation-tools">
      <div class="conv-tools-row">
        <button
          type="button"
          class="button star-toggle"
          aria-pressed={props.edits.starred}
          onClick={() => void run((db) => setStarred(db, props.conversationId, !props.edits.starred), setError)}
        >
          <span aria-hidden="true">{props.edits.starred ? '★' : '☆'}</span> {props.edits.starred ? 'Starred' : 'Star'}
        </button>
        <Show when={renaming() === null}>
          <button type="button" class="button" ref={renameButton} onClick={startRename}>
            Rename
          </button>
        </Show>
        <Show when={props.edits.title !== null && renaming() === null}>
          <span class="muted imported-title">
            Imported title: {props.importedTitle || 'Untitled conversation'}{' '}
            <button type="button" class="link-button" onClick={() => void saveTitle(null)}>
              Use the imported title
            </button>
          </span>
        </Show>
      </div>
      <Show when={renaming() !== null}>
        <form
          class="rename-form"
          onSubmit={(e) => {
            e.preventDefault();
            void saveTitle(renaming());
          }}
        >
          <label class="field">
            New title
            <input
              id="rename-input"
              type="text"
              maxLength={MAX_TITLE_CHARS}
              value={renaming() ?? ''}
              onInput={(e) => setRenaming(e.currentTarget.value)}
              onKeyDown={(e) => {
                if (e.key === 'Escape') {
                  e.preventDefault();
                  stopRename();
                }
              }}
            />
          </label>
          <button type="submit" class="button primary">
            Save title
          </button>
          <button type="button" class="button" onClick={stopRename}>
            Cancel
          </button>
        </form>
      </Show>
      <div class="conv-tags">
        <ul class="tag-list" aria-label="Tags">
          <For each={props.edits.tags}>
            {(tag) => (
              <li class="tag-chip">
                <a href={href(['conversations'], { tag })}>{tag}</a>
                <button type="button" class="tag-remove" aria-label={`Remove tag ${tag}`} onClick={() => void removeTag(tag)}>
                  ×
                </button>
              </li>
            )}
          </For>
        </ul>
        <form
          class="tag-form"
          onSubmit={(e) => {
            e.preventDefault();
            void addTag();
          }}
        >
          <label class="visually-hidden" for="tag-input">
            Add a tag
          </label>
          <input
            id="tag-input"
            ref={tagInput}
            type="text"
            placeholder="Add a tag"
            maxLength={MAX_TAG_CHARS}
            value={tagDraft()}
            onInput={(e) => setTagDraft(e.currentTarget.value)}
          />
          <button type="submit" class="button" disabled={tagDraft().trim() === ''}>
            Add tag
          </button>
        </form>
      </div>
      <Show when={error()}>
        <p class="notice error" role="alert">
          {error()}
        </p>
      </Show>
    </div>
  );
}

export function NoteEditor(props: { conversationId: string; note: ResolvedNote | null }): JSX.Element {
  /** What the person typed and has not saved; null shows the stored note (and follows it as it changes). */
  const [draft, setDraft] = createSignal<string | null>(null);
  const [status, setStatus] = createSignal<'saved' | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  createEffect(
    on(
      () => props.conversationId,
      () => {
        setDraft(null);
        setStatus(null);
      },
    ),
  );
  const stored = (): string => props.note?.text ?? '';
  const conflict = (): boolean => props.note?.conflict ?? false;
  const dirty = (): boolean => draft() !== null && draft() !== stored();
  const save = async (): Promise<void> => {
    const text = draft();
    if (text === null) return;
    if (await run((db) => saveNote(db, props.conversationId, text), setError)) {
      setDraft(null);
      setStatus('saved');
    }
  };

  return (
    <section class="reader-note card" aria-labelledby="note-title">
      <h2 id="note-title">Your note</h2>
      <Show when={conflict()}>
        <div class="notice warn" role="status" data-testid="note-conflict">
          This note was changed on two devices at once, and the changes touch the same lines. Both versions are kept until you choose.{' '}
          <a href={href(['conflicts'], { c: props.conversationId })}>Resolve it in the conflict queue</a>
        </div>
      </Show>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <label class="visually-hidden" for="note-input">
          Your note on this conversation
        </label>
        <textarea
          id="note-input"
          rows="3"
          maxLength={MAX_NOTE_CHARS}
          placeholder="Write a note about this conversation…"
          readOnly={conflict()}
          value={draft() ?? stored()}
          onInput={(e) => {
            setDraft(e.currentTarget.value);
            setStatus(null);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
        <div class="actions">
          <Show when={!conflict()}>
            <button type="submit" class="button primary" disabled={!dirty()}>
              Save note
            </button>
          </Show>
          <Show when={dirty()}>
            <button type="button" class="button" onClick={() => setDraft(null)}>
              Discard changes
            </button>
          </Show>
          <Show when={status() === 'saved'}>
            <span class="muted" role="status">
              Saved
            </span>
          </Show>
        </div>
      </form>
      <Show when={error()}>
        <p class="notice error" role="alert">
          {error()}
        </p>
      </Show>
    </section>
  );
}
