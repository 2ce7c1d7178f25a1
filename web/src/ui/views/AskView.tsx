import { createResource, createSignal, For, Index, onCleanup, Show, type JSX } from 'solid-js';
import { buildPrompt, offlineAnswer, type ContextItem } from '../../../../shared/chat/context';
import { toAppError } from '../../../../shared/errors';
import { saveChatExchange } from '../../db/chat-writes';
import { notifyLocalChange } from '../../sync/local-changes';
import { addMemory, deleteMemory, listMemories, MAX_MEMORY_CHARS, migrateLegacyMemories, replaceMemory } from '../../vault/memories';
import { fetchUsage, loadAskSettings, openBilling, retrieveContext, saveAskSettings, streamAnswer, type AskSettings, type Usage } from '../../chat/ask';
import { vault } from '../data';
import { createLive } from '../live';
import { renderMarkdown } from '../markdown';
import { href } from '../router';
import type { ViewProps } from '../views';
import AskPanel, { usageText } from './settings/AskPanel';

type TurnStatus = 'streaming' | 'done' | 'stopped' | 'error';

interface Turn {
  question: string;
  answer: string;
  items: ContextItem[];
  status: TurnStatus;
  error: string | null;
  /** The saved node (reader link, replaced on regenerate). */
  nodeId: string | null;
  offline: boolean;
}

interface Preview {
  question: string;
  items: ContextItem[];
  /** Index of the turn this question replaces (edit-and-resend, regenerate), or null for a new one. */
  replaces: number | null;
}

/** Excerpts renumbered 1..n after the person removed some. */
function renumber(items: readonly ContextItem[]): ContextItem[] {
  let n = 0;
  return items.map((i) => (i.kind === 'excerpt' ? { ...i, n: ++n } : i));
}

/** The answer as markdown HTML, each [n] a link that opens the reader at that exchange (passage highlighted). */
function answerHtml(turn: Turn): string {
  const html = renderMarkdown(turn.answer);
  const byN = new Map(turn.items.flatMap((i) => (i.kind === 'excerpt' ? [[String(i.n), i] as const] : [])));
  return html.replace(/\[(\d{1,3})\]/g, (whole, n: string) => {
    const item = byN.get(n);
    if (!item) return whole;
    const link = href(['c', item.conversationId], { node: item.nodeId }).replace(/&/g, '&amp;').replace(/"/g, '&quot;');
    const title = item.title.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
    return `<a class="citation" href="${link}" title="${title}">[${n}]</a>`;
  });
}

function firstSentence(text: string): string {
  const plain = text.replace(/[*_>`#]/g, '').replace(/\s+/g, ' ').trim();
  return (/^.*?[.!?](?=\s|$)/.exec(plain)?.[0] ?? plain).slice(0, 300);
}

export default function AskView(props: ViewProps): JSX.Element {
  const [settings, { mutate: setSettings }] = createResource(async () => loadAskSettings(await vault()));
  const [usage, { mutate: setUsage, refetch: refetchUsage }] = createResource<Usage | null>(() => fetchUsage().catch(() => null));
  const memories = createLive(() => null, listMemories);
  const [turns, setTurns] = createSignal<Turn[]>([]);
  const [draft, setDraft] = createSignal('');
  const [preview, setPreview] = createSignal<Preview | null>(null);
  const [limit, setLimit] = createSignal<string | null>(null);
  const [error, setError] = createSignal<string | null>(null);
  const [busy, setBusy] = createSignal(false);
  const [editing, setEditing] = createSignal<number | null>(null);
  const [remembering, setRemembering] = createSignal<string | null>(null);
  const chatId = crypto.randomUUID();
  let controller: AbortController | null = null;
  onCleanup(() => controller?.abort());
  // Memories saved before sync move into synced records once; a failure is said here (the list stays usable).
  void vault()
    .then((v) => migrateLegacyMemories(v.db))
    .catch((e: unknown) => setError(toAppError(e).message));

  const billing = props.route.params.get('billing');
  const patchTurn = (index: number, patch: Partial<Turn>): void => {
    setTurns((all) => all.map((t, i) => (i === index ? { ...t, ...patch } : t)));
  };
  const recentTurns = (upTo: number) => turns().slice(0, upTo).filter((t) => t.status === 'done').flatMap((t) => [
    { role: 'user' as const, text: t.question },
    { role: 'assistant' as const, text: t.answer },
  ]);

  /** Step 1: retrieve on the device and show what would be sent (offline mode answers at once: nothing leaves). */
  const ask = async (question: string, replaces: number | null): Promise<void> => {
    const s = settings();
    if (!s || question.trim() === '') return;
    setError(null);
    setLimit(null);
    setBusy(true);
    try {
      const v = await vault();
      const items = await retrieveContext(v, question, recentTurns(replaces ?? turns().length), new Set());
      if (s.mode === 'offline') await send({ question, items, replaces }, s);
      else setPreview({ question, items, replaces });
    } catch (e) {
      setError(toAppError(e).message);
    } finally {
      setBusy(false);
    }
  };

  /** Step 2: the person confirmed the preview (or offline mode): answer, stream, save. */
  const send = async (p: Preview, s: AskSettings): Promise<void> => {
    setPreview(null);
    setEditing(null);
    const turn: Turn = { question: p.question, answer: '', items: p.items, status: 'streaming', error: null, nodeId: null, offline: s.mode === 'offline' };
    const replaced = p.replaces === null ? null : turns()[p.replaces];
    const index = p.replaces ?? turns().length;
    setTurns((all) => [...all.slice(0, index), turn]);
    setDraft('');
    let answer = '';
    try {
      if (s.mode === 'offline') {
        answer = offlineAnswer(p.items);
        patchTurn(index, { answer });
      } else {
        controller = new AbortController();
        await streamAnswer(
          s,
          buildPrompt(p.items, p.question),
          {
            onDelta: (text) => {
              answer += text;
              patchTurn(index, { answer });
            },
            onUsage: (u) => setUsage(u),
          },
          controller.signal,
        );
      }
      patchTurn(index, { status: 'done' });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') {
        patchTurn(index, { status: 'stopped' });
      } else {
        const failure = toAppError(e);
        if (failure.code === 'QUOTA_EXCEEDED') {
          // Never lose the question: the turn goes, the draft comes back, and the way to more messages is shown.
          setTurns((all) => all.filter((_, i) => i !== index));
          setDraft(p.question);
          setLimit(failure.message);
          return;
        }
        if (answer === '') setDraft(p.question);
        patchTurn(index, { status: 'error', error: failure.message });
        return;
      }
    } finally {
      controller = null;
    }
    if (answer.trim() === '') return;
    try {
      const node = await saveChatExchange((await vault()).db, {
        chatId,
        title: (turns()[0]?.question ?? p.question).slice(0, 80),
        ordinal: index,
        question: p.question,
        answer,
        model: s.mode === 'offline' ? null : s.mode,
        askedAt: Date.now(),
        now: Date.now(),
        replacesNodeId: replaced?.nodeId ?? null,
      });
      patchTurn(index, { nodeId: node.id });
      // Chats sync like any conversation: the scheduler pushes it about a second later.
      notifyLocalChange('chat');
    } catch (e) {
      setError(toAppError(e).message);
    }
  };

  const onSubmit = (e: SubmitEvent): void => {
    e.preventDefault();
    void ask(draft(), editing());
  };
  const acknowledgeNotice = async (): Promise<void> => {
    const s = settings();
    if (!s) return;
    const next = { ...s, noticeSeen: true };
    setSettings(next);
    await saveAskSettings(await vault(), next);
  };
  const saveMemory = async (): Promise<void> => {
    const text = remembering();
    if (text === null) return;
    try {
      await addMemory((await vault()).db, text);
      setRemembering(null);
      setError(null);
    } catch (e) {
      setError(toAppError(e).message);
    }
  };

  return (
    <section class="page ask" aria-labelledby="ask-title">
      <h1 id="ask-title">Ask your vault</h1>
      <Show when={billing === 'success'}>
        <p class="notice ok" role="status">
          Thank you. Premium starts as soon as the payment is confirmed (usually a few seconds).{' '}
          <button type="button" class="button" onClick={() => void refetchUsage()}>
            Refresh usage
          </button>
        </p>
      </Show>
      <Show when={billing === 'cancelled'}>
        <p class="notice" role="status">
          Checkout was cancelled; nothing was charged.
        </p>
      </Show>
      <Show when={settings()?.mode === 'cloud'}>
        <p class="ask-usage" data-testid="ask-usage">
          <Show when={usage()} fallback="Sign in to use Cogzy cloud, or choose your own endpoint or offline answers below.">
            {(u) => <>{usageText(u())}</>}
          </Show>
        </p>
      </Show>
      <details class="ask-mode">
        <summary>Model: {settings()?.mode === 'own' ? 'your own endpoint' : settings()?.mode === 'offline' ? 'none (offline answers)' : 'Cogzy cloud'}</summary>
        <AskPanel onChange={(s) => setSettings(s)} />
      </details>

      <ol class="ask-turns" aria-live="polite">
        <Index each={turns()}>
          {(turn, i) => (
            <li class="ask-turn" data-status={turn().status}>
              <p class="ask-question">
                <strong>You:</strong> {turn().question}
              </p>
              <div class="ask-answer markdown" data-testid="answer" innerHTML={answerHtml(turn())} />
              <Show when={turn().status === 'streaming'}>
                <p class="muted" role="status">
                  Answering…{' '}
                  <button type="button" class="button" onClick={() => controller?.abort()}>
                    Stop
                  </button>
                </p>
              </Show>
              <Show when={turn().status === 'stopped'}>
                <p class="muted">Stopped.</p>
              </Show>
              <Show when={turn().error}>
                <p class="notice error" role="alert">
                  {turn().error}
                </p>
              </Show>
              <Show when={turn().status !== 'streaming'}>
                <div class="ask-actions">
                  <button type="button" class="button" onClick={() => void navigator.clipboard.writeText(turn().answer)}>
                    Copy
                  </button>
                  <button type="button" class="button" disabled={busy()} onClick={() => void (settings() && send({ question: turn().question, items: turn().items, replaces: i }, settings()!))}>
                    Regenerate
                  </button>
                  <button type="button" class="button" onClick={() => { setEditing(i); setDraft(turn().question); document.getElementById('ask-input')?.focus(); }}>
                    Edit
                  </button>
                  <button
                    type="button"
                    class="button"
                    onClick={() => {
                      setRemembering(firstSentence(turn().answer));
                      document.getElementById('memory-input')?.focus();
                    }}
                  >
                    Remember this
                  </button>
                </div>
              </Show>
            </li>
          )}
        </Index>
      </ol>

      <Show when={preview()}>
        {(p) => (
          <div class="card ask-preview" role="region" aria-label="What will be sent">
            <Show when={!settings()?.noticeSeen}>
              <div class="notice" role="note">
                <p>
                  <strong>What goes where.</strong> Your vault stays on this device. To answer, the question and the excerpts listed below are sent{' '}
                  {settings()?.mode === 'own' ? 'to the endpoint you set in Settings, and nowhere else' : 'to Cogzy, which passes them to its AI model and does not keep them'}. Remove any
                  excerpt you do not want to share. Offline mode sends nothing.
                </p>
                <button type="button" class="button" onClick={() => void acknowledgeNotice()}>
                  Got it
                </button>
              </div>
            </Show>
            <h2>Will be sent with your question</h2>
            <Show when={p().items.length > 0} fallback={<p class="muted">Nothing from your vault matches; only the question will be sent.</p>}>
              <ul class="ask-excerpts">
                <For each={p().items}>
                  {(item) => (
                    <li>
                      <span class="ask-excerpt-label">
                        {item.kind === 'excerpt' ? `[${item.n}] ${item.title}` : item.kind === 'memory' ? 'Memory' : item.role === 'user' ? 'Earlier question' : 'Earlier answer'}
                      </span>
                      <span class="ask-excerpt-text">{item.text.slice(0, 240)}</span>
                      <button
                        type="button"
                        class="button"
                        aria-label={`Remove ${item.kind === 'excerpt' ? `excerpt ${item.n}` : item.kind}`}
                        onClick={() => setPreview({ ...p(), items: renumber(p().items.filter((x) => x.key !== item.key)) })}
                      >
                        Remove
                      </button>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
            <div class="ask-actions">
              <button type="button" class="button primary" onClick={() => void (settings() && send(p(), settings()!))}>
                Send
              </button>
              <button type="button" class="button" onClick={() => setPreview(null)}>
                Cancel
              </button>
            </div>
          </div>
        )}
      </Show>

      <Show when={limit()}>
        <div class="notice warn ask-limit" role="alert">
          <p>{limit()}</p>
          <button type="button" class="button primary" onClick={() => {
              openBilling('checkout').catch((e: unknown) => setError(toAppError(e).message));
            }}>
            Upgrade to Premium
          </button>
        </div>
      </Show>
      <Show when={error()}>
        <p class="notice error" role="alert">
          {error()}
        </p>
      </Show>

      <form class="ask-form" onSubmit={onSubmit}>
        <label for="ask-input" class="visually-hidden">
          Your question
        </label>
        <textarea
          id="ask-input"
          rows="3"
          placeholder="Ask anything you discussed before…"
          value={draft()}
          onInput={(e) => setDraft(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
          }}
        />
        <button type="submit" class="button primary" disabled={busy() || preview() !== null || draft().trim() === ''}>
          {editing() !== null ? 'Resend' : 'Ask'}
        </button>
      </form>

      <section class="ask-memories" aria-labelledby="memories-title">
        <h2 id="memories-title">Memories</h2>
        <p class="muted">Things your AI should know about you: always sent with your questions, and synced to your other devices. Save a sentence from an answer, or type one.</p>
        <Show when={remembering() !== null}>
          <form class="ask-remember" onSubmit={(e) => { e.preventDefault(); void saveMemory(); }}>
            <label class="field">
              <span>Remember</span>
              <input
                id="memory-input"
                type="text"
                name="memory"
                maxLength={MAX_MEMORY_CHARS}
                value={remembering() ?? ''}
                onInput={(e) => setRemembering(e.currentTarget.value)}
                onKeyDown={(e) => {
                  if (e.key === 'Escape') setRemembering(null);
                }}
              />
            </label>
            <button type="submit" class="button primary" disabled={(remembering() ?? '').trim() === ''}>Save memory</button>
            <button type="button" class="button" onClick={() => setRemembering(null)}>Cancel</button>
          </form>
        </Show>
        <Show when={remembering() === null}>
          <button
            type="button"
            class="button"
            onClick={() => {
              // Solid renders the field as the signal changes: focus it now, so the first keys typed are not lost.
              setRemembering('');
              document.getElementById('memory-input')?.focus();
            }}
          >
            Add a memory
          </button>
        </Show>
        <Show when={memories.error()}>
          {(failure) => (
            <p class="notice error" role="alert">
              {failure().message}
            </p>
          )}
        </Show>
        <Show when={memories.value()?.length === 0}>
          <p class="muted" data-testid="no-memories">No memories yet.</p>
        </Show>
        <ul class="ask-memory-list" data-testid="memory-list">
          <For each={memories.value() ?? []}>
            {(m) => (
              <li>
                <input
                  type="text"
                  aria-label="Memory"
                  maxLength={MAX_MEMORY_CHARS}
                  value={m.text}
                  onChange={(e) => {
                    const text = e.currentTarget.value;
                    if (text.trim() === m.text) return;
                    void vault()
                      .then((v) => replaceMemory(v.db, m.key, text))
                      .then(() => setError(null))
                      .catch((err: unknown) => setError(toAppError(err).message));
                  }}
                />
                <button
                  type="button"
                  class="button danger"
                  aria-label={`Delete memory: ${m.text.slice(0, 60)}`}
                  onClick={() => {
                    void vault()
                      .then((v) => deleteMemory(v.db, m.key))
                      .catch((err: unknown) => setError(toAppError(err).message));
                  }}
                >
                  Delete
                </button>
              </li>
            )}
          </For>
        </ul>
      </section>
    </section>
  );
}
