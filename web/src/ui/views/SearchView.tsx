import { For, Show, createEffect, createMemo, createSignal, on, onCleanup, type JSX } from 'solid-js';
import type { ViewProps } from '../views';
import { SEARCH_INPUT_ID } from '../views';
import { RESULT_PAGE, recentConversations, renamedTitles, runSearch, semanticAvailable, vaultStats, type SearchRequest } from '../data';
import { createLive } from '../live';
import type { SearchMode, SearchResponse, SearchResult } from '../../search/search';
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

/** Example queries for the empty search page, made from the person's own conversation titles when there are some. */
function examples(titles: readonly string[]): { query: string; why: string }[] {
  const words = (title: string): string[] => title.split(/\s+/u).filter((w) => /\p{L}{3,}/u.test(w));
  const [first, second, third] = titles.filter((t) => words(t).length >= 2);
  const out: { query: string; why: string }[] = [];
  if (first) out.push({ query: `What did I ask about ${first.toLowerCase()}?`, why: 'a question in your own words' });
  if (second) out.push({ query: `"${words(second).slice(0, 2).join(' ')}"`, why: 'quotes find the exact words' });
  if (third) out.push({ query: words(third).slice(0, 2).join(' ').toLowerCase(), why: 'a few keywords' });
  if (out.length === 0) {
    out.push(
      { query: 'How do I blur a face in a picture?', why: 'a question in your own words' },
      { query: '"error message"', why: 'quotes find the exact words' },
    );
  }
  return out;
}

/**
 * Instant search: results follow the typing (debounced), the query and filters live in the URL so "back" from a
 * conversation returns to the same results. Keyboard: ↑/↓ move through results, Enter opens, Shift+Enter lists
 * every match of a grouped result's conversation, Esc clears. Options hold no links or buttons (a listbox option
 * must not nest interactive elements, or screen readers lose them): the option itself is the action.
 */
export default function SearchView(props: ViewProps): JSX.Element {
  const p = (key: string): string | null => props.route.params.get(key);
  const [text, setText] = createSignal(p('q') ?? '');
  const [selected, setSelected] = createSignal(0);
  const [outcome, setOutcome] = createSignal<SearchResponse | null>(null);
  const [error, setError] = createSignal<AppErrorData | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [addingMeaning, setAddingMeaning] = createSignal(false);

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
  /** The query this view last wrote to the URL: any other change of `q` came from outside (address bar, link). */
  let written: string | null = null;
  const onInput = (value: string): void => {
    setText(value);
    clearTimeout(timer);
    timer = setTimeout(() => {
      written = value.trim() === '' ? '' : value;
      setParams({ q: written === '' ? undefined : written });
    }, DEBOUNCE_MS);
  };
  onCleanup(() => clearTimeout(timer));
  const urlQuery = createMemo(() => p('q') ?? '');
  createEffect(
    on(
      urlQuery,
      (q) => {
        if (q !== written && q !== text()) {
          clearTimeout(timer);
          setText(q);
        }
        written = null;
      },
      { defer: true },
    ),
  );

  // On a phone the filters fold away behind one button (styles.css shows it under 640 px; wider, they always show):
  // the results then start near the top of the screen. Filters in use keep them open, and the button counts them.
  const activeFilters = (): number => ['provider', 'role', 'from', 'to', 'group'].filter((key) => (p(key) ?? '') !== '').length;
  const [filtersOpen, setFiltersOpen] = createSignal<boolean | null>(null);
  const filtersShown = (): boolean => filtersOpen() ?? activeFilters() > 0;

  // "Show more" asks for the next page; a new query or filter starts again from one page.
  const [limit, setLimit] = createSignal(RESULT_PAGE);
  const grouped = (): boolean => p('group') === '1';

  let generation = 0;
  // Semantic and hybrid queries run again once vector search becomes available (it starts after the page is idle),
  // so a semantic search opened straight from a link or a reload does not stay empty.
  const semanticReady = (): boolean => request().mode !== 'keyword' && semanticAvailable();
  createEffect(on(request, () => setLimit(RESULT_PAGE)));
  createEffect(
    on([request, semanticReady, limit], ([req, , wanted], previous) => {
      const mine = ++generation;
      // Showing more keeps the selection; anything else starts at the top.
      if (previous?.[2] === wanted) setSelected(0);
      if (req.query.trim() === '') {
        setOutcome(null);
        setError(null);
        return;
      }
      setBusy(true);
      let answered = false;
      if (req.mode === 'hybrid') {
        // Words are answered locally in milliseconds; meaning may wait on a remote service. Show the first at once
        // and fold the second in when it comes.
        setAddingMeaning(true);
        runSearch({ ...req, mode: 'keyword' }, wanted)
          .then((result) => {
            if (mine === generation && !answered) setOutcome(result);
          })
          .catch(() => undefined); // the full search below reports any failure
      }
      runSearch(req, wanted)
        .then((result) => {
          if (mine !== generation) return;
          answered = true;
          setOutcome(result);
          setError(null);
        })
        .catch((e: unknown) => {
          const error = toAppError(e);
          // The sentence goes on screen; the non-secret detail goes to the console for support.
          console.error(`search failed: ${error.code}`, error.detail ?? '');
          if (mine !== generation) return;
          setError(error.toData());
          // The count of the query before is not this query's: the status must not keep it (issue 11).
          setOutcome(null);
        })
        .finally(() => {
          if (mine !== generation) return;
          setBusy(false);
          setAddingMeaning(false);
        });
    }),
  );

  /** Grouped: the best exchange of each conversation, with how many more of its exchanges matched. */
  const groups = createMemo(() => {
    const byConversation = new Map<string, { hit: SearchResult; more: number }>();
    for (const hit of outcome()?.results ?? []) {
      const group = byConversation.get(hit.conversationId);
      if (group) group.more += 1;
      else byConversation.set(hit.conversationId, { hit, more: 0 });
    }
    return [...byConversation.values()];
  });
  const hits = createMemo(() => (grouped() ? groups().map((g) => g.hit) : (outcome()?.results ?? [])));
  const moreIn = (conversationId: string): number => (grouped() ? (groups().find((g) => g.hit.conversationId === conversationId)?.more ?? 0) : 0);
  const canShowMore = (): boolean => {
    const o = outcome();
    return o !== null && (o.keywordTotal > o.results.length || (o.mode !== 'keyword' && o.results.length >= limit()));
  };
  const statusText = createMemo(() => {
    if (request().query.trim() === '') return 'Type a question or a few words to search every exchange in your vault.';
    const o = outcome();
    if (!o) return busy() ? 'Searching…' : '';
    const count = o.keywordTotal > o.results.length ? `Top ${formatNumber(o.results.length)} of ${formatNumber(o.keywordTotal)}` : plural(o.results.length, 'result');
    const inGroups = grouped() && o.results.length > 0 ? ` in ${plural(groups().length, 'conversation')}` : '';
    return `${count}${inGroups}${o.matchedAll ? '' : ' · no exchange has every word, so these have some of them'}${addingMeaning() ? ' · adding results by meaning…' : ''}`;
  });
  const recent = createLive(() => null, recentConversations);
  const quote = (text: string): string => `“${text}”`;
  const stats = createLive(() => null, vaultStats);
  /** Titles the person renamed show over the imported ones (one small read of the title records). */
  const renamed = createLive(() => null, renamedTitles);
  const vaultEmpty = (): boolean => stats.value()?.conversations === 0;
  const open = (index: number): void => {
    const hit = hits()[index];
    if (hit) navigate(href(['c', hit.conversationId], { node: hit.nodeId, q: p('q') ?? undefined }));
  };

  /** Every match of one conversation: the current query scoped to it, ungrouped. A new history entry, so Back returns. */
  const showAllIn = (conversationId: string): void => {
    navigate(href(['search'], { ...Object.fromEntries(props.route.params.entries()), conversation: conversationId, group: undefined }));
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
    } else if (e.key === 'Enter' && e.shiftKey) {
      e.preventDefault();
      const hit = hits()[selected()];
      if (hit && moreIn(hit.conversationId) > 0) showAllIn(hit.conversationId);
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
          aria-describedby="search-keys"
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
        <p id="search-keys" class="visually-hidden">
          Up and down arrows choose a result, Enter opens it{grouped() ? ', Shift+Enter lists all its matches in that conversation' : ''}.
        </p>
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
        <button
          type="button"
          class="button filters-toggle"
          aria-expanded={filtersShown()}
          aria-controls="search-more-filters"
          data-testid="filters-toggle"
          onClick={() => setFiltersOpen(!filtersShown())}
        >
          {activeFilters() > 0 ? `Filters (${activeFilters()})` : 'Filters'}
        </button>
        <div id="search-more-filters" class="toolbar-more" classList={{ collapsed: !filtersShown() }}>
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
          <label class="field field-inline">
            <input type="checkbox" checked={grouped()} onChange={(e) => setParams({ group: e.currentTarget.checked ? '1' : undefined })} />
            Group by conversation
          </label>
        </div>
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
      <Show when={outcome()?.semanticError}>
        {(why) => (
          <p class="notice" data-testid="semantic-fallback" data-code={why().code}>
            {outcome()?.semanticSubstitute ? 'Results by meaning come from the on-device model you used before' : 'Showing results by words only'}: {why().message}
          </p>
        )}
      </Show>
      <p class="muted" role="status" aria-live="polite" data-testid="search-status">
        {statusText()}
      </p>
      <Show when={request().query.trim() !== '' ? outcome() : null}>
        {(o) => (
          <>
            <For each={o().corrections}>
              {(c) => (
                <p class="notice search-note" data-testid="search-correction">
                  No match for {quote(c.word)}: showing results for {c.to.map(quote).join(', ')}.
                </p>
              )}
            </For>
            <For each={o().missedPhrases}>
              {(phrase) => (
                <p class="notice search-note" data-testid="search-phrase-note">
                  No exact match for {quote(phrase.join(' '))}: showing exchanges with its words.
                </p>
              )}
            </For>
          </>
        )}
      </Show>
      <Show when={request().query.trim() === ''}>
        <div class="search-start" data-testid="search-start">
          <Show when={(recent.value()?.items.length ?? 0) > 0}>
            <h2>Recent conversations</h2>
            <ul class="search-recent">
              <For each={recent.value()?.items ?? []}>
                {(c) => (
                  <li>
                    <a href={href(['c', c.id])}>{renamed.value()?.get(c.id) ?? (c.title || 'Untitled conversation')}</a>
                    <span class="muted"> · {providerLabel(c.provider)} · {formatDate(c.createdAt ?? c.updatedAt)}</span>
                  </li>
                )}
              </For>
            </ul>
          </Show>
          <h2>Try</h2>
          <ul class="search-examples">
            <For each={examples(recent.value()?.items.map((c) => c.title) ?? [])}>
              {(example) => (
                <li>
                  <a href={href(['search'], { q: example.query })}>{example.query}</a> <span class="muted">{example.why}</span>
                </li>
              )}
            </For>
          </ul>
        </div>
      </Show>
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
              <div class="result-title">{renamed.value()?.get(hit.conversationId) ?? (hit.conversationTitle || 'Untitled conversation')}</div>
              <div class="result-meta">
                <span class="badge">{providerLabel(hit.provider)}</span>
                <span>{formatDate(hit.createdAt)}</span>
                <span>{hit.snippet.field === 'human' ? 'You' : hit.snippet.field === 'assistant' ? 'Assistant' : 'Hidden text'}</span>
              </div>
              <Snippet
                text={`${hit.snippet.cutStart ? '…' : ''}${hit.snippet.text}${hit.snippet.cutEnd ? '…' : ''}`}
                ranges={hit.snippet.ranges.map(([s, e]) => [s + (hit.snippet.cutStart ? 1 : 0), e + (hit.snippet.cutStart ? 1 : 0)] as const)}
              />
              <Show when={moreIn(hit.conversationId) > 0}>
                {/* Plain text, not a link: by pointer a click on it, by keyboard Shift+Enter on the option (named here so
                    it is read out with the option). */}
                <div class="result-more-line">
                  <span
                    class="result-more"
                    onClick={(e) => {
                      e.stopPropagation();
                      showAllIn(hit.conversationId);
                    }}
                  >
                    {plural(moreIn(hit.conversationId), 'more match', 'more matches')} in this conversation
                  </span>{' '}
                  <span class="result-key">(Shift+Enter)</span>
                </div>
              </Show>
            </li>
          )}
        </For>
      </ul>
      <Show when={canShowMore()}>
        <button type="button" class="show-more" disabled={busy()} onClick={() => setLimit((n) => n + RESULT_PAGE)}>
          {busy() ? 'Loading…' : `Show ${formatNumber(RESULT_PAGE)} more`}
        </button>
      </Show>
    </section>
  );
}
