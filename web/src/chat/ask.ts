/**
 * Ask-memory for the page: settings (which model answers), local retrieval into a context, the streamed answer from
 * Cogzy cloud (POST /api/chat, metered) or the person's own OpenAI-compatible endpoint (called from the browser, the
 * key never leaves the device except to that endpoint), usage, and billing redirects. No Dexie access outside
 * db/ modules; no DOM.
 */
import { z } from 'zod';
import { buildContext, type ContextItem, type TurnCandidate } from '../../../shared/chat/context';
import { parseChatEvent, SseSplitter, USAGE_HEADERS, type ChatMessage } from '../../../shared/chat/sse';
import { AppError, toAppError } from '../../../shared/errors';
import { apiError, noteUsage, type Usage } from './usage';
import { withStorageErrors } from '../db/database';
import { listMemories, migrateLegacyMemories } from '../vault/memories';
import { ASK_MODES, readSyncedSetting, writeSyncedSetting } from '../vault/synced-settings';
import type { Vault } from '../vault/vault';

export { ASK_MODES };
export type AskMode = (typeof ASK_MODES)[number];

export const askSettingsSchema = z.object({
  mode: z.enum(ASK_MODES).default('cloud'),
  own: z.object({ baseUrl: z.string().default(''), apiKey: z.string().default(''), model: z.string().default('') }).default({ baseUrl: '', apiKey: '', model: '' }),
  /** The one-time "what goes where" notice was acknowledged. */
  noticeSeen: z.boolean().default(false),
});
export type AskSettings = z.infer<typeof askSettingsSchema>;

const SETTINGS_KEY = 'ask';

/**
 * This device's row (with the key and the notice flag), overlaid by the synced part (mode, endpoint, model) that the
 * person last chose on any of their devices (SPEC C39). The key never syncs: a device that has none for a synced
 * endpoint sends no Authorization header, and the endpoint's refusal says what to do.
 */
export async function loadAskSettings(vault: Vault): Promise<AskSettings> {
  const [row, synced] = await Promise.all([withStorageErrors(() => vault.db.settings.get(SETTINGS_KEY)), readSyncedSetting(vault.db, 'ask')]);
  const parsed = askSettingsSchema.safeParse(row?.value ?? {});
  const local = parsed.success ? parsed.data : askSettingsSchema.parse({});
  if (synced === null) return local;
  return { ...local, mode: synced.mode, own: { ...local.own, baseUrl: synced.baseUrl, model: synced.model } };
}

export async function saveAskSettings(vault: Vault, settings: AskSettings): Promise<void> {
  const clean = askSettingsSchema.parse(settings);
  const before = await loadAskSettings(vault);
  await withStorageErrors(() => vault.db.settings.put({ key: SETTINGS_KEY, value: clean }));
  // Only a change of the synced part is a synced write: acknowledging the notice or typing a key on this device must
  // not overrule a choice another device made and this one has not pulled yet.
  if (before.mode === clean.mode && before.own.baseUrl === clean.own.baseUrl && before.own.model === clean.own.model) return;
  await writeSyncedSetting(vault.db, 'ask', { mode: clean.mode, baseUrl: clean.own.baseUrl, model: clean.own.model });
}

/** Tokens of context per question: room for a few memories, the last turns and 8-10 excerpts. */
export const CONTEXT_BUDGET_TOKENS = 3_000;
const SEARCH_DEPTH = 16;

/**
 * Retrieval, all on the device: hybrid search when vectors exist (keyword otherwise), the saved memories and the
 * recent turns, cut to the budget. A search hit whose node is gone (deleted since it was indexed) is dropped.
 */
export async function retrieveContext(vault: Vault, question: string, turns: readonly TurnCandidate[], removed: ReadonlySet<string>): Promise<ContextItem[]> {
  // Memories saved before sync are moved first; if that fails the Ask page says so, and the question still goes
  // with the memories moved so far.
  await migrateLegacyMemories(vault.db).catch(() => 0);
  const [search, memories] = await Promise.all([
    vault.search.search(question, { mode: vault.search.hasSemantic() ? 'hybrid' : 'keyword', limit: SEARCH_DEPTH }),
    listMemories(vault.db),
  ]);
  const nodes = await withStorageErrors(() => vault.db.nodes.bulkGet(search.results.map((r) => r.nodeId)));
  const excerpts = search.results.map((r, i) => {
    const node = nodes[i];
    return {
      nodeId: r.nodeId,
      conversationId: r.conversationId,
      title: r.conversationTitle,
      createdAt: r.createdAt,
      question: node?.human.text ?? '',
      answer: node?.assistant?.text ?? '',
      deleted: node === undefined || !node.active,
    };
  });
  return buildContext({ memories: memories.map((m) => ({ id: m.key, text: m.text })), turns, excerpts, budgetTokens: CONTEXT_BUDGET_TOKENS, removed });
}

export { fetchUsage, type Usage } from './usage';

const JSON_HEADERS = { 'Content-Type': 'application/json', 'X-Cogzy-CSRF': '1' };

function usageFromHeaders(headers: Headers, tier: Usage['tier'] | null): Usage | null {
  const used = headers.get(USAGE_HEADERS.used);
  const limit = headers.get(USAGE_HEADERS.limit);
  const resetsAt = headers.get(USAGE_HEADERS.resetsAt);
  if (used === null || limit === null || resetsAt === null) return null;
  return { tier: tier ?? (limit === 'unlimited' ? 'premium' : 'free'), used: Number(used), limit: limit === 'unlimited' ? null : Number(limit), resetsAt };
}

export interface StreamHandlers {
  onDelta: (text: string) => void;
  /** Cloud mode: usage after this message was counted (or refused). */
  onUsage?: (usage: Usage) => void;
}

async function readStream(response: Response, handlers: StreamHandlers): Promise<void> {
  if (response.body === null) throw new AppError('CHAT_INTERRUPTED');
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  const splitter = new SseSplitter();
  for (;;) {
    const { done, value } = await reader.read();
    for (const data of done ? splitter.end() : splitter.push(value)) {
      const event = parseChatEvent(data);
      if (event.kind === 'delta') handlers.onDelta(event.text);
      else if (event.kind === 'error') throw new AppError('CHAT_INTERRUPTED', { detail: event.code ?? undefined });
      else if (event.kind === 'done') return;
    }
    if (done) return;
  }
}

/** Streams the answer from the chosen model; AbortError (stop) propagates as is. */
export async function streamAnswer(settings: AskSettings, messages: ChatMessage[], handlers: StreamHandlers, signal: AbortSignal): Promise<void> {
  if (settings.mode === 'cloud') {
    let response: Response;
    try {
      response = await fetch('/api/chat', { method: 'POST', credentials: 'same-origin', headers: JSON_HEADERS, body: JSON.stringify({ messages }), signal });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new AppError('OFFLINE', { cause: error });
    }
    const usage = usageFromHeaders(response.headers, null);
    if (usage) {
      noteUsage(usage);
      handlers.onUsage?.(usage);
    }
    if (!response.ok) throw await apiError(response);
    await readStream(response, handlers);
    return;
  }
  if (settings.mode === 'own') {
    const base = settings.own.baseUrl.trim().replace(/\/+$/, '');
    let response: Response;
    try {
      response = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', ...(settings.own.apiKey ? { Authorization: `Bearer ${settings.own.apiKey}` } : {}) },
        body: JSON.stringify({ model: settings.own.model || 'default', messages, stream: true }),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new AppError('CHAT_ENDPOINT_FAILED', { cause: error });
    }
    if (!response.ok) throw new AppError('CHAT_ENDPOINT_FAILED', { detail: `status ${response.status}` });
    await readStream(response, handlers);
    return;
  }
  throw new AppError('INTERNAL', { detail: 'offline mode answers without streaming' });
}

/** Opens Stripe Checkout (upgrade) or the billing portal (manage, cancel) in this tab. */
export async function openBilling(kind: 'checkout' | 'portal'): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`/api/billing/${kind}`, { method: 'POST', credentials: 'same-origin', headers: JSON_HEADERS });
  } catch (error) {
    throw toAppError(error, 'OFFLINE');
  }
  if (!response.ok) throw await apiError(response);
  const { url } = z.object({ url: z.url() }).parse(await response.json());
  location.assign(url);
}
