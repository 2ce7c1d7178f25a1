/**
 * What the command line and the MCP server read from the local copy: keyword search (the app's own KeywordSearch
 * and snippets over the SQLite adapter), a conversation in reading order, recent conversations, memories, status.
 */
import { AppError } from '../errors';
import { PROVIDER_LABELS, type Conversation, type MemoryNode, type Provider } from '../model';
import { KeywordSearch } from '../../web/src/search/keyword-search';
import { parseQuery } from '../../web/src/search/query';
import { makeSnippet, matchSpecFor, type MatchSpec } from '../../web/src/search/snippets';
import type { SearchFilters } from '../../web/src/search/types';
import type { VaultReader } from './sqlite-store';

export interface SearchOptions {
  limit: number;
  providers?: readonly Provider[];
  /** Epoch ms, inclusive. */
  from?: number | null;
  to?: number | null;
}

export interface SearchHit {
  nodeId: string;
  conversationId: string;
  conversationTitle: string;
  provider: Provider;
  /** ISO date of the exchange, when the export had one. */
  date: string | null;
  score: number;
  /** Best-matching passage, plain text. */
  snippet: string;
  /** Where the app opens this exchange. */
  link: string;
}

export interface SearchAnswer {
  query: string;
  total: number;
  corrections: { word: string; to: string[] }[];
  hits: SearchHit[];
}

const isoOrNull = (ms: number | null | undefined): string | null => (ms === null || ms === undefined || !Number.isFinite(ms) ? null : new Date(ms).toISOString());

export function appLink(server: string, conversationId: string, nodeId?: string): string {
  return `${server.replace(/\/+$/, '')}/#/c/${encodeURIComponent(conversationId)}${nodeId === undefined ? '' : `?node=${nodeId}`}`;
}

/** One searcher per reader: its caches (documents, lexicon, common postings) live as long as the process. */
const searchers = new WeakMap<VaultReader, KeywordSearch>();

export function keywordSearchOf(reader: VaultReader): KeywordSearch {
  let search = searchers.get(reader);
  if (search === undefined) {
    search = new KeywordSearch(reader);
    searchers.set(reader, search);
  }
  return search;
}

export function searchFilters(options: SearchOptions): SearchFilters {
  return {
    ...(options.providers && options.providers.length > 0 ? { providers: options.providers } : {}),
    ...(options.from !== undefined ? { from: options.from } : {}),
    ...(options.to !== undefined ? { to: options.to } : {}),
  };
}

/** A search result as the command line and search_memory show it: title, date, snippet, link. */
export function searchHit(reader: VaultReader, server: string, node: MemoryNode, score: number, spec: MatchSpec, conversationTitle?: string): SearchHit {
  const title = conversationTitle ?? reader.conversationMeta(node.conversationId)?.title ?? '';
  const snippet = makeSnippet({ human: node.human.text, assistant: node.assistant?.text ?? '' }, spec);
  return {
    nodeId: node.id,
    conversationId: node.conversationId,
    conversationTitle: title,
    provider: node.provider,
    date: isoOrNull(node.createdAt ?? node.human.createdAt),
    score: Math.round(score * 1000) / 1000,
    snippet: `${snippet.cutStart ? '…' : ''}${snippet.text}${snippet.cutEnd ? '…' : ''}`,
    link: appLink(server, node.conversationId, node.id),
  };
}

export async function searchVault(reader: VaultReader, server: string, query: string, options: SearchOptions): Promise<SearchAnswer> {
  const result = await keywordSearchOf(reader).searchDetailed(query, searchFilters(options), options.limit);
  const spec = matchSpecFor(parseQuery(query), result.expansions);
  const hits: SearchHit[] = [];
  for (const hit of result.hits) {
    const node = hit.node ?? reader.node(hit.nodeId);
    if (node === undefined) continue;
    hits.push(searchHit(reader, server, node, hit.score, spec, hit.conversationTitle));
  }
  return { query, total: result.total, corrections: result.corrections, hits };
}

export interface ConversationOut {
  conversation: Omit<Conversation, 'raw'>;
  /** The active thread in reading order (alternate branches are left out). */
  exchanges: { nodeId: string; ordinal: number; date: string | null; human: string; assistant: string }[];
  totalExchanges: number;
  link: string;
}

/** A conversation by its id, or the conversation holding a node id; `range` picks exchanges [start, end). */
export function readConversation(reader: VaultReader, server: string, id: string, range?: { start?: number; end?: number }): ConversationOut {
  const conversation = reader.conversationMeta(id) ?? (() => {
    const node = reader.node(id);
    return node === undefined ? undefined : reader.conversationMeta(node.conversationId);
  })();
  if (conversation === undefined) throw new AppError('NOT_FOUND', { detail: `no conversation or exchange with id ${id} on this computer` });
  const thread = reader.nodesOf(conversation.id).filter((n) => n.active);
  const start = Math.max(0, range?.start ?? 0);
  const end = Math.min(thread.length, range?.end ?? thread.length);
  const { raw: _raw, ...meta } = conversation;
  return {
    conversation: meta,
    exchanges: thread.slice(start, end).map((n: MemoryNode) => ({
      nodeId: n.id,
      ordinal: n.ordinal,
      date: isoOrNull(n.createdAt),
      human: n.human.text,
      assistant: n.assistant?.text ?? '',
    })),
    totalExchanges: thread.length,
    link: appLink(server, conversation.id),
  };
}

export function conversationText(out: ConversationOut): string {
  const c = out.conversation;
  const lines = [`# ${c.title || 'Untitled conversation'}`, `${PROVIDER_LABELS[c.provider]} · ${isoOrNull(c.createdAt) ?? 'unknown date'} · ${c.id}`, out.link, ''];
  for (const e of out.exchanges) lines.push(`## You (${e.date ?? 'unknown date'})`, '', e.human, '', '## Assistant', '', e.assistant, '');
  if (out.exchanges.length < out.totalExchanges) lines.push(`(${out.exchanges.length} of ${out.totalExchanges} exchanges shown)`);
  return lines.join('\n');
}

export interface RecentConversation {
  id: string;
  title: string;
  provider: Provider;
  updatedAt: string | null;
  exchanges: number;
  link: string;
}

export function listRecent(reader: VaultReader, server: string, limit: number): RecentConversation[] {
  return reader.list('conversation', limit).flatMap((r) =>
    r.type === 'conversation'
      ? [{ id: r.value.id, title: r.value.title, provider: r.value.provider, updatedAt: isoOrNull(r.value.updatedAt ?? r.value.createdAt), exchanges: r.value.nodeCount, link: appLink(server, r.value.id) }]
      : [],
  );
}

export interface MemoryOut {
  id: string;
  text: string;
}

export function listMemories(reader: VaultReader, limit = 1000): MemoryOut[] {
  return reader.list('memory', limit).flatMap((r) => (r.type === 'memory' ? [{ id: r.id, text: r.text }] : []));
}
