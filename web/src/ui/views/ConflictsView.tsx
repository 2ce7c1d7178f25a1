import { createEffect, createResource, createSignal, For, Show, type JSX } from 'solid-js';
import { toAppError } from '../../../../shared/errors';
import { deviceId } from '../../sync/local-changes';
import { resolveNoteConflict } from '../../vault/edit-writes';
import { keepBothText, listNoteConflicts, type NoteConflict, type NoteHead } from '../../vault/edits';
import ErrorNotice from '../components/ErrorNotice';
import { vault } from '../data';
import { formatDate } from '../format';
import { createLive } from '../live';
import { href } from '../router';
import type { ViewProps } from '../views';

/**
 * Two versions of which one is this device's: yours first, then theirs. Otherwise (three devices, or two other
 * devices) numbered versions, oldest first.
 */
function arrange(heads: readonly NoteHead[], me: string | undefined): { heads: NoteHead[]; labels: string[]; mineFirst: boolean } {
  const mine = heads.filter((h) => h.device === me);
  if (heads.length === 2 && mine.length === 1) {
    return { heads: [...mine, ...heads.filter((h) => h.device !== me)], labels: ['Yours (this device)', 'Theirs (another device)'], mineFirst: true };
  }
  return { heads: [...heads], labels: heads.map((h, i) => `Version ${i + 1}${h.device === me ? ' (this device)' : ''}`), mineFirst: false };
}

function editedWhen(head: NoteHead): string {
  return head.editedAt > 0 ? `edited ${formatDate(head.editedAt)} ${new Date(head.editedAt).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })}` : 'edit time unknown';
}

/**
 * `#/conflicts`: every note changed on two devices at once where the changes touch the same lines. Each shows its
 * versions side by side (stacked on a phone) with keep mine / keep theirs / keep both; the choice is a new note
 * version that replaces them on every device.
 */
export default function ConflictsView(props: ViewProps): JSX.Element {
  const live = createLive(() => null, (db) => listNoteConflicts(db));
  const [me] = createResource(async () => deviceId((await vault()).db));
  const [error, setError] = createSignal<string | null>(null);
  const [done, setDone] = createSignal<string | null>(null);

  // Opened from a reader's flag (`?c=<conversation id>`): that conflict comes into view.
  createEffect(() => {
    const target = props.route.params.get('c');
    if (target === null || live.value() === undefined) return;
    requestAnimationFrame(() => document.getElementById(`conflict-${target}`)?.scrollIntoView({ block: 'start' }));
  });

  const resolve = async (conflict: NoteConflict, text: string, what: string): Promise<void> => {
    try {
      await resolveNoteConflict((await vault()).db, conflict.conversationId, conflict.heads.map((h) => h.version), text);
      setError(null);
      setDone(`${what} for “${conflict.title || 'Untitled conversation'}”.`);
    } catch (e) {
      setDone(null);
      setError(toAppError(e).message);
    }
  };

  return (
    <section class="page conflicts" aria-labelledby="conflicts-title">
      <h1 id="conflicts-title">Note conflicts</h1>
      <p class="muted">
        When a note is changed on two devices before they sync and the changes touch the same lines, both versions are kept here until you choose
        which to keep. Changes to different lines merge by themselves.
      </p>
      <ErrorNotice error={live.error()} />
      <Show when={error()}>
        <p class="notice error" role="alert">
          {error()}
        </p>
      </Show>
      <Show when={done()}>
        <p class="notice ok" role="status">
          {done()}
        </p>
      </Show>
      <Show when={live.value()} fallback={<p class="loading">Looking for conflicts…</p>}>
        {(conflicts) => (
          <Show
            when={conflicts().length > 0}
            fallback={
              <p class="empty" data-testid="no-conflicts">
                No conflicts: every note is in one version.
              </p>
            }
          >
            <ul class="conflict-list">
              <For each={conflicts()}>
                {(conflict) => {
                  const shown = () => arrange(conflict.heads, me());
                  const headingId = `conflict-title-${conflict.conversationId}`;
                  return (
                    <li class="card conflict" id={`conflict-${conflict.conversationId}`} aria-labelledby={headingId} data-testid="conflict">
                      <h2 id={headingId}>
                        Note on <a href={href(['c', conflict.conversationId])}>{conflict.title || 'Untitled conversation'}</a>
                      </h2>
                      <div class="conflict-versions">
                        <For each={shown().heads}>
                          {(head, i) => (
                            <section class="conflict-version" aria-label={shown().labels[i()]}>
                              <h3>
                                {shown().labels[i()]} <span class="muted">· {editedWhen(head)}</span>
                              </h3>
                              <pre class="conflict-text" tabindex="0">{head.text === '' ? '(empty note)' : head.text}</pre>
                            </section>
                          )}
                        </For>
                      </div>
                      <div class="actions conflict-actions">
                        <Show
                          when={shown().mineFirst}
                          fallback={
                            <For each={shown().heads}>
                              {(head, i) => (
                                <button type="button" class="button" onClick={() => void resolve(conflict, head.text, `Kept version ${i() + 1}`)}>
                                  Keep version {i() + 1}
                                </button>
                              )}
                            </For>
                          }
                        >
                          <button type="button" class="button" onClick={() => void resolve(conflict, shown().heads[0]?.text ?? '', 'Kept your version')}>
                            Keep mine
                          </button>
                          <button type="button" class="button" onClick={() => void resolve(conflict, shown().heads[1]?.text ?? '', 'Kept their version')}>
                            Keep theirs
                          </button>
                        </Show>
                        <button
                          type="button"
                          class="button primary"
                          onClick={() => {
                            // In the order shown: yours first when there is a "yours", otherwise oldest first.
                            const [first, ...rest] = shown().heads;
                            void resolve(conflict, rest.reduce((all, h) => keepBothText(all, h.text), first?.text ?? ''), 'Kept both versions');
                          }}
                        >
                          {conflict.heads.length > 2 ? 'Keep all' : 'Keep both'}
                        </button>
                      </div>
                    </li>
                  );
                }}
              </For>
            </ul>
          </Show>
        )}
      </Show>
    </section>
  );
}
