import { For, Show, createMemo, createSignal, type JSX } from 'solid-js';
import type { ViewProps } from '../views';
import { createLive } from '../live';
import { listConversations, type ConversationFilter } from '../data';
import { NO_EDITS } from '../../vault/edits';
import type { ConversationSort } from '../../vault/conversations';
import ProviderSelect, { parseProvider } from '../components/ProviderSelect';
import ErrorNotice from '../components/ErrorNotice';
import { endOfDay, monthBounds, startOfDay } from '../dates';
import { formatDate, formatMonth, plural, providerLabel } from '../format';
import { href, navigate } from '../router';

const SORTS: readonly { value: ConversationSort; label: string }[] = [
  { value: 'newest', label: 'Newest first' },
  { value: 'oldest', label: 'Oldest first' },
  { value: 'title', label: 'Title A–Z' },
];
const PAGE = 200;

/** The filters live in the URL (`#/conversations?provider=claude&from=…`) so the back button and links keep them. */
export default function ConversationsView(props: ViewProps): JSX.Element {
  const p = (key: string): string | undefined => props.route.params.get(key) ?? undefined;
  const [limit, setLimit] = createSignal(PAGE);
  const filter = createMemo<ConversationFilter>(() => {
    const month = monthBounds(p('month'));
    const sort = SORTS.find((s) => s.value === p('sort'))?.value ?? 'newest';
    return {
      provider: parseProvider(p('provider')),
      starred: p('starred') === '1',
      tag: p('tag') ?? null,
      from: month ? month[0] : startOfDay(p('from')),
      to: month ? month[1] : endOfDay(p('to')),
      sort,
      limit: limit(),
    };
  });
  const live = createLive(filter, listConversations);
  const set = (changes: Record<string, string | undefined>): void => {
    const current = Object.fromEntries(props.route.params.entries());
    navigate(href(['conversations'], { ...current, ...changes }), { replace: true });
  };

  return (
    <section class="page">
      <h1>Conversations</h1>
      <div class="toolbar" role="group" aria-label="Filter and sort">
        <ProviderSelect id="conv-provider" value={filter().provider} onChange={(v) => set({ provider: v ?? undefined })} />
        <label class="field">
          From
          <input type="date" value={p('from') ?? ''} onChange={(e) => set({ from: e.currentTarget.value, month: undefined })} />
        </label>
        <label class="field">
          To
          <input type="date" value={p('to') ?? ''} onChange={(e) => set({ to: e.currentTarget.value, month: undefined })} />
        </label>
        <label class="field check">
          <input type="checkbox" checked={filter().starred} onChange={(e) => set({ starred: e.currentTarget.checked ? '1' : undefined })} />
          Starred only
        </label>
        <Show when={(live.value()?.edits.tags.length ?? 0) > 0 || filter().tag !== null}>
          <label class="field">
            Tag
            <select value={filter().tag ?? ''} onChange={(e) => set({ tag: e.currentTarget.value || undefined })}>
              <option value="">Any tag</option>
              <For each={live.value()?.edits.tags ?? []}>{(t) => <option value={t}>{t}</option>}</For>
            </select>
          </label>
        </Show>
        <label class="field">
          Sort
          <select value={filter().sort} onChange={(e) => set({ sort: e.currentTarget.value })}>
            <For each={SORTS}>{(s) => <option value={s.value}>{s.label}</option>}</For>
          </select>
        </label>
      </div>
      <Show when={p('month')}>
        {(month) => (
          <p class="notice">
            Showing {formatMonth(month())}. <a href={href(['conversations'], { provider: p('provider'), sort: p('sort') })}>Show all months</a>
          </p>
        )}
      </Show>
      <ErrorNotice error={live.error()} />
      <Show when={live.value()} fallback={<p class="loading">Loading conversations…</p>}>
        {(listing) => {
          const page = () => listing().page;
          const edits = (id: string) => listing().edits.byConversation.get(id) ?? NO_EDITS;
          return (
          <>
            <p class="muted" role="status" data-testid="conversation-count">
              {plural(page().total, 'conversation')}
            </p>
            <Show
              when={page().items.length > 0}
              fallback={
                <p class="empty">
                  No conversations match. <a href="#/import">Import an export</a> or change the filters.
                </p>
              }
            >
              <ul class="conv-list">
                <For each={page().items}>
                  {(c) => (
                    <li>
                      <a href={href(['c', c.id])}>
                        <span class="conv-title">
                          <Show when={edits(c.id).starred}>
                            <span class="star-mark" role="img" aria-label="Starred">
                              ★
                            </span>{' '}
                          </Show>
                          {edits(c.id).title ?? (c.title || 'Untitled conversation')}
                        </span>
                        <span class="conv-meta">
                          <span class="badge">{providerLabel(c.provider)}</span>
                          <span>{formatDate(c.updatedAt ?? c.createdAt)}</span>
                          <span>{plural(c.nodeCount, 'exchange')}</span>
                          <For each={edits(c.id).tags}>{(t) => <span class="tag-chip">{t}</span>}</For>
                        </span>
                      </a>
                    </li>
                  )}
                </For>
              </ul>
              <Show when={page().total > page().items.length}>
                <div class="actions">
                  <button type="button" class="button" onClick={() => setLimit((n) => n + PAGE)}>
                    Show more ({plural(page().total - page().items.length, 'more conversation')})
                  </button>
                </div>
              </Show>
            </Show>
          </>
          );
        }}
      </Show>
    </section>
  );
}
