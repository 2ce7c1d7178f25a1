import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, type JSX } from 'solid-js';
import { createStore } from 'solid-js/store';
import type { ViewProps } from '../views';
import type { NodeRow } from '../../db/database';
import type { Branch } from '../../vault/conversations';
import { createLive } from '../live';
import { loadConversation, loadConversationEdits } from '../data';
import { ConversationTools, NoteEditor } from '../components/ConversationEditor';
import { NO_EDITS } from '../../vault/edits';
import Exchange, { type ReaderToggles } from '../components/Exchange';
import ErrorNotice from '../components/ErrorNotice';
import { formatDate, plural, providerLabel } from '../format';
import { href, navigate } from '../router';
import { clearSearchHighlight, highlightSearchWords } from '../reader-highlight';
import DeleteConversation from '../components/DeleteConversation';
import { appendAll } from '../../../../shared/arrays';

const TOGGLES: readonly { key: keyof ReaderToggles | 'branches'; label: string }[] = [
  { key: 'thinking', label: 'Thinking' },
  { key: 'tools', label: 'Tool calls' },
  { key: 'system', label: 'Hidden system text' },
  { key: 'attachments', label: 'Attachment text' },
  { key: 'branches', label: 'Alternate branches' },
];

/**
 * `#/c/<conversationId>?node=<nodeId>&q=<query>`: the active thread, scrolled to and highlighting `node` when given,
 * with the words of `q` marked inside it.
 */
export default function ReaderView(props: ViewProps): JSX.Element {
  const id = createMemo(() => props.route.segments[1] ?? '');
  const target = createMemo(() => props.route.params.get('node'));
  /** The search that opened this exchange (`q`), its words highlighted inside it. */
  const query = createMemo(() => props.route.params.get('q'));
  const live = createLive(id, loadConversation);
  /** Renamed title, star, tags and note: their own live query, so an edit never reloads the thread. */
  const liveEdits = createLive(id, loadConversationEdits);
  /** The edits of the conversation on screen (the live value lags one read behind when the id changes). */
  const edits = createMemo(() => {
    const value = liveEdits.value();
    return value?.conversationId === id() ? value : undefined;
  });
  const [toggles, setToggles] = createStore({ thinking: false, tools: false, system: false, attachments: true, branches: false });
  const [scrolledTo, setScrolledTo] = createSignal<string | null>(null);

  // Esc closes the conversation: back to where the person came from (search results keep their query in the URL).
  const onKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Escape' || e.defaultPrevented) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(t.tagName) || t.closest('dialog'))) return;
    if (history.length > 1) history.back();
    else navigate('#/conversations');
  };
  document.addEventListener('keydown', onKey);
  onCleanup(() => document.removeEventListener('keydown', onKey));

  /** The thread in order, each exchange followed by the alternate branches that fork at it (when shown). */
  const items = createMemo(() => {
    const view = live.value();
    if (!view) return [];
    const out: NodeRow[] = [];
    const placed = new Set<Branch>();
    for (const node of view.thread) {
      out.push(node);
      if (!toggles.branches) continue;
      for (const branch of view.branches.filter((b) => b.forkOrdinal === node.ordinal)) {
        placed.add(branch);
        appendAll(out, branch.nodes);
      }
    }
    if (toggles.branches) for (const branch of view.branches.filter((b) => !placed.has(b))) appendAll(out, branch.nodes);
    return out;
  });
  const branchCount = createMemo(() => live.value()?.branches.length ?? 0);

  // A search hit can point into an alternate branch: show branches so the hit is on screen.
  createEffect(() => {
    const t = target();
    if (t && live.value()?.branches.some((b) => b.nodes.some((n) => n.id === t))) setToggles('branches', true);
  });

  // Scroll once per target, after its exchange is in the DOM.
  createEffect(
    on([target, items], ([t]) => {
      if (!t || scrolledTo() === t) return;
      const el = document.getElementById(`node-${t}`);
      if (!el) return;
      setScrolledTo(t);
      requestAnimationFrame(() => {
        el.scrollIntoView({ block: 'start' });
        el.focus({ preventScroll: true });
        const q = query();
        if (q) highlightSearchWords(el, q);
      });
    }),
  );
  onCleanup(clearSearchHighlight);

  return (
    <section class="page reader">
      <ErrorNotice error={live.error()} />
      <Show when={live.value() !== undefined} fallback={<p class="loading">Opening the conversation…</p>}>
        <Show
          when={live.value()}
          fallback={
            <div class="empty">
              <h1>Conversation not found</h1>
              <p>It may have been deleted, or the link is from another device. <a href="#/conversations">Browse conversations</a>.</p>
            </div>
          }
        >
          {(loaded) => (
            <>
              <header class="reader-head">
                <div class="reader-bar">
                  <p class="muted" style={{ margin: 0, display: 'flex', gap: '1rem', 'flex-wrap': 'wrap' }}>
                    <a href="#/conversations">← Conversations</a>
                    <a href={href(['search'], { conversation: loaded().conversation.id })}>Search in this conversation</a>
                  </p>
                  <h1>{edits()?.edits.title ?? (loaded().conversation.title || 'Untitled conversation')}</h1>
                </div>
                <p class="result-meta">
                  <span class="badge">{providerLabel(loaded().conversation.provider)}</span>
                  <span>{formatDate(loaded().conversation.createdAt)}</span>
                  <span>{plural(loaded().conversation.nodeCount, 'exchange')}</span>
                  <Show when={loaded().conversation.model}>
                    <span>{loaded().conversation.model}</span>
                  </Show>
                </p>
                <ConversationTools conversationId={loaded().conversation.id} importedTitle={loaded().conversation.title} edits={edits()?.edits ?? NO_EDITS} />
                <fieldset class="toggles" style={{ border: 0, padding: 0 }}>
                  <legend class="visually-hidden">Show hidden parts</legend>
                  <For each={TOGGLES}>
                    {(t) => (
                      <label>
                        <input
                          type="checkbox"
                          checked={toggles[t.key]}
                          onChange={(e) => setToggles(t.key, e.currentTarget.checked)}
                        />
                        {t.label}
                        <Show when={t.key === 'branches' && branchCount() > 0}>
                          <span class="muted"> ({branchCount()})</span>
                        </Show>
                      </label>
                    )}
                  </For>
                </fieldset>
                <div class="actions">
                  <DeleteConversation id={loaded().conversation.id} title={loaded().conversation.title} />
                </div>
              </header>
              <ErrorNotice error={liveEdits.error()} />
              <Show when={edits()}>{(loadedEdits) => <NoteEditor conversationId={loaded().conversation.id} note={loadedEdits().note} />}</Show>
              <For each={items()} fallback={<p class="empty">This conversation has no exchanges.</p>}>
                {(node) => <Exchange node={node} toggles={toggles} highlighted={node.id === target()} />}
              </For>
            </>
          )}
        </Show>
      </Show>
    </section>
  );
}
