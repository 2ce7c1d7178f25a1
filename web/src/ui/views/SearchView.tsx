import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, type JSX } from 'solid-js';
import type { ViewProps } from '../views';
import { SEARCH_INPUT_ID } from '../views';
import { runSearch, semanticAvailable, vaultStats, type SearchRequest } from '../data';
import { createLive } from '../live';
import type { SearchMode, SearchResponse } from '../../search/search';
import ProviderSelect, { parseProvider } from '../components/ProviderSelect';
import Snippet from '../components/Snippet';
import ErrorNotice from '../components/ErrorNotice';
import { endOfDay, startOfDay } from '../dates';
import { formatDate, formatNumber, plural, providerLabel } from '../format';
import { href, navigate } from '../router';
import { toAppError, type AppErrorData } from '../../../../shared/errors';

const DEBOUNCE_MS = 120;
const SEMANTIC_UNAVAILABLE =
  'Semantic and hybrid search need embeddings of your conversations. Turn them on in Settings; keyword search works meanwhile.';
const MODES: readonly { value: SearchMode; label: string }[] = [
  { value: 'keyword', label: 'Keyword' },
  { value: 'semantic', label: 'Semantic' },
  { value: 'hybrid', label: 'Hybrid' },
];

function parseMode(v: string | null): SearchMode {
  return v === 'semantic' || v === 'hybrid' ? v : 'keyword';
}
function parseRole(v: string | null): 'human' | 'assistant' | null {
  return v === 'human' || v === 'assistant' ? v : null;
}

/**
 * Instant search: results follow the typing (debounced), the query and filters live in the URL so "back" from a
 * conversation returns to the same results. Keyboard: ↑/↓ move through results, Enter opens, Esc clears.
 */
export default function SearchView(props: ViewProps): JSX.Element {
  const p = (key: string): string | null => props.route.params.get(key);
  const [text, setText] = createSignal(p('q') ?? '');
  const [selected, setSelected] = createSignal(0);
  const [outcome, setOutcome] = createSignal<SearchResponse | null>(null);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const [busy, setBusy] = createSignal(false);

  const request = createMemo<SearchRequest>(() => ({
    query: p('q') ?? '',
    mode: parseMode(p('mode')),
    filters: {
      providers: ((provider) => (provider ? [provider] : []))(parseProvider(p('provider'))),
      from: startOfDay(p('from')),
      to: endOfDay(p('to')),
      role: parseRole(p('role')),
      conversationId: p('conversation'),
    },
  }));

  const setParams = (changes: Record<string, string | undefined>): void => {
    const current = Object.fromEntries(props.route.params.entries());
    navigate(href(['search'], { ...current, ...changes }), { replace: true });
  };

  // Typing updates the URL after a short pause; the URL drives the search.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const onInput = (value: string): void => {
    setText(value);
    clearTimeout(timer);
    timer = setTimeout(() => setParams({ q: value.trim() === '' ? undefined : value }), DEBOUNCE_MS);
  };
  onCleanup(() => clearTimeout(timer));

  let generation = 0;
  // Semantic and hybrid queries run again once vector search becomes available (it starts after the page is idle),
  // so a semantic search opened straight from a link or a reload does not stay empty.
  const semanticReady = (): boolean => request().mode !== 'keyword' && semanticAvailable();
  createEffect(
    on([request, semanticReady], ([req]) => {
      const mine = ++generation;
      setSelected(0);
      if (req.query.trim() === '') {
        setOutcome(null);
        setError(null);
        return;
      }
      setBusy(true);
      runSearch(req)
        .then((result) => {
          if (mine !== generation) return;
          setOutcome(result);
          setError(null);
        })
        .catch((e: unknown) => {
          const error = toAppError(e);
          // The sentence goes on screen; the non-secret detail goes to the console for support.
          console.error(`search failed: ${error.code}`, error.detail ?? '');
          if (mine === generation) setError(error.toData());
        })
        .finally(() => {
          if (mine === generation) setBusy(false);
        });
    }),
  );

  const hits = createMemo(() => outcome()?.results ?? []);
  const stats = createLive(() => null, vaultStats);
  const vaultEmpty = (): boolean => stats.value()?.conversations === 0;
  const open = (index: number): void => {
    const hit = hits()[index];
    if (hit) navigate(href(['c', hit.conversationId], { node: hit.nodeId, q: p('q') ?? undefined }));
  };

  const onKeyDown = (e: KeyboardEvent): void => {
    const count = hits().length;
    if (e.key === 'ArrowDown' && count > 0) {
      e.preventDefault();
      setSelected((i) => Math.min(count - 1, i + 1));
      document.getElementById(`hit-${selected()}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'ArrowUp' && count > 0) {
      e.preventDefault();
      setSelected((i) => Math.max(0, i - 1));
      document.getElementById(`hit-${selected()}`)?.scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter') {
      e.preventDefault();
      open(selected());
    } else if (e.key === 'Escape') {
      e.preventDefault();
      if (text() === '') (e.currentTarget as HTMLInputElement).blur();
      else {
        clearTimeout(timer);
        setText('');
        setParams({ q: undefined });
      }
    }
  };


  return (
    <section class="page">
      <h1 class="visually-hidden">Search</h1>
      <div role="search">
        <label for={SEARCH_INPUT_ID} class="visually-hidden">
          Search your conversations
        </label>
        <input
          id={SEARCH_INPUT_ID}
          class="search-box"
          type="search"
          placeholder="Search your conversations (press / anywhere)"
          autocomplete="off"
          spellcheck={false}
          role="combobox"
          aria-expanded={hits().length > 0}
          aria-controls="search-results"
          aria-autocomplete="list"
          aria-activedescendant={hits().length > 0 ? `hit-${selected()}` : undefined}
          value={text()}
          onInput={(e) => onInput(e.currentTarget.value)}
          onKeyDown={onKeyDown}
          ref={(el) => {
            // Opening search (menu, `/`, Home with a vault) puts the cursor in the box.
            requestAnimationFrame(() => {
              if (document.activeElement === document.body || document.activeElement === null) el.focus();
            });
          }}
        />
      </div>
      <div class="toolbar" role="group" aria-label="Search filters" style={{ 'margin-top': '0.75rem' }}>
        <div class="field">
          Mode
          <div class="segmented" role="group" aria-label="Search mode">
            <For each={MODES}>
              {(m) => (
                <button
                  type="button"
                  aria-pressed={request().mode === m.value}
                  disabled={m.value !== 'keyword' && !semanticAvailable()}
                  title={m.value !== 'keyword' && !semanticAvailable() ? SEMANTIC_UNAVAILABLE : undefined}
                  onClick={() => setParams({ mode: m.value === 'keyword' ? undefined : m.value })}
                >
                  {m.label}
                </button>
              )}
            </For>
          </div>
        </div>
        <ProviderSelect id="search-provider" value={request().filters.providers?.[0] ?? null} onChange={(v) => setParams({ provider: v ?? undefined })} />
        <label class="field">
          Who said it
          <select value={p('role') ?? ''} onChange={(e) => setParams({ role: e.currentTarget.value || undefined })}>
            <option value="">Anyone</option>
            <option value="human">Me</option>
            <option value="assistant">The assistant</option>
          </select>
        </label>
        <label class="field">
          From
          <input type="date" value={p('from') ?? ''} onChange={(e) => setParams({ from: e.currentTarget.value || undefined })} />
        </label>
        <label class="field">
          To
          <input type="date" value={p('to') ?? ''} onChange={(e) => setParams({ to: e.currentTarget.value || undefined })} />
        </label>
      </div>
      <Show when={!semanticAvailable()}>
        <p class="muted" style={{ 'font-size': '0.85rem', 'margin-top': 0 }} data-testid="semantic-reason">
          {SEMANTIC_UNAVAILABLE}
        </p>
      </Show>
      <Show when={p('conversation')}>
        <p class="notice" data-testid="conversation-scope">
          Searching one conversation only. <a href={href(['search'], { q: p('q') ?? undefined })}>Search everything</a>
        </p>
      </Show>
      <ErrorNotice error={error()} />
      <p class="muted" role="status" aria-live="polite" data-testid="search-status">
        <Show when={request().query.trim() !== ''} fallback="Type to search every exchange in your vault.">
          <Show when={outcome()} fallback={busy() ? 'Searching…' : ''}>
            {(o) =>
              `${o().keywordTotal > o().results.length ? `Top ${formatNumber(o().results.length)} of ${formatNumber(o().keywordTotal)}` : plural(o().results.length, 'result')}${
                o().matchedAll ? '' : ' · no exchange has every word, so these have some of them'
              }`
            }
          </Show>
        </Show>
      </p>
      <Show when={outcome()?.results.length === 0 && request().query.trim() !== ''}>
        <p class="empty" data-testid="no-results">
          No exchange matches. Try fewer or shorter words, drop the quotes, or widen the filters.{' '}
          <Show when={vaultEmpty()}>
            Your vault is empty: <a href="#/import">import an export</a> first.
          </Show>
        </p>
      </Show>
      <ul id="search-results" class="results" role="listbox" aria-label="Search results">
        <For each={hits()}>
          {(hit, i) => (
            <li
              id={`hit-${i()}`}
              role="option"
              class="result"
              aria-selected={selected() === i()}
              data-node-id={hit.nodeId}
              onClick={() => open(i())}
              onMouseMove={() => setSelected(i())}
            >
              <div class="result-title">
                <a href={href(['c', hit.conversationId], { node: hit.nodeId, q: p('q') ?? undefined })} tabindex="-1" style={{ color: 'inherit', 'text-decoration': 'none' }}>
                  {hit.conversationTitle || 'Untitled conversation'}
                </a>
              </div>
              <div class="result-meta">
                <span class="badge">{providerLabel(hit.provider)}</span>
                <span>{formatDate(hit.createdAt)}</span>
                <span>{hit.snippet.field === 'human' ? 'You' : hit.snippet.field === 'assistant' ? 'Assistant' : 'Hidden text'}</span>
              </div>
              <Snippet
                text={`${hit.snippet.cutStart ? '…' : ''}${hit.snippet.text}${hit.snippet.cutEnd ? '…' : ''}`}
                ranges={hit.snippet.ranges.map(([s, e]) => [s + (hit.snippet.cutStart ? 1 : 0), e + (hit.snippet.cutStart ? 1 : 0)] as const)}
              />
            </li>
          )}
        </For>
      </ul>
    </section>
  );
}
