/**
 * Shared by the tree-shaped exports (Claude, Grok, DeepSeek; usable for ChatGPT): pick the active branch of a
 * message tree, pair messages into exchanges (one human turn + the assistant's reply), and emit node drafts: the
 * active thread in order, then each abandoned branch from its fork point on, labelled with its leaf's id.
 */
import { conversationKey, emptyExtras } from '../../../model';
import type { Attachment, NodeExtras, Provider, Turn } from '../../../model';
import type { NodeDraft, ParseContext, ParsedConversation } from '../../provider';
import { isBlank, titleFrom } from './text';

export type Role = 'human' | 'assistant';

/** One provider message, already normalised by its adapter. */
export interface MessageDraft {
  readonly id: string;
  readonly role: Role;
  /** Visible text (trimmed). */
  readonly text: string;
  readonly createdAt: number | null;
  readonly model: string | null;
  readonly extras: NodeExtras;
  readonly attachments: readonly Attachment[];
}

/** A message with nothing in it (whitespace-only text, no hidden parts, no attachments). */
export function isEmptyMessage(message: MessageDraft): boolean {
  const { extras } = message;
  return (
    isBlank(message.text) &&
    message.attachments.length === 0 &&
    extras.thinking.length === 0 &&
    extras.toolCalls.length === 0 &&
    extras.system.length === 0 &&
    extras.customInstructions.length === 0 &&
    extras.citations.length === 0
  );
}

export interface TreeItem {
  readonly id: string;
  /** Null for a root. */
  readonly parentId: string | null;
}

export interface Threads<T extends TreeItem> {
  /** Root to active leaf. */
  readonly active: readonly T[];
  /** Every other leaf with its full root-to-leaf path, in input order. */
  readonly branches: readonly { readonly leafId: string; readonly path: readonly T[] }[];
}

/** Chooses the active leaf; `pathOf` gives a leaf's root-to-leaf path (for longest-chain rules). */
export type LeafPicker<T extends TreeItem> = (leaves: readonly T[], pathOf: (leaf: T) => readonly T[]) => T | undefined;

/** The leaf with the newest timestamp; on a tie (or no times) the later one in export order. */
export function newestLeaf<T extends TreeItem & { readonly createdAt: number | null }>(leaves: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const leaf of leaves) {
    if (best === undefined || (leaf.createdAt ?? -Infinity) >= (best.createdAt ?? -Infinity)) best = leaf;
  }
  return best;
}

/** The leaf with the longest root path; ties go to the newest. */
export function longestChainLeaf<T extends TreeItem & { readonly createdAt: number | null }>(
  leaves: readonly T[],
  pathOf: (leaf: T) => readonly T[],
): T | undefined {
  let best: T | undefined;
  let bestLength = -1;
  for (const leaf of leaves) {
    const length = pathOf(leaf).length;
    if (length > bestLength || (length === bestLength && best !== undefined && (leaf.createdAt ?? -Infinity) >= (best.createdAt ?? -Infinity))) {
      best = leaf;
      bestLength = length;
    }
  }
  return best;
}

/**
 * Resolves a parent-linked message list into the active thread and the other branches. Dangling parents become
 * roots (warned); cycles are cut where they close (warned once); a tree with no leaf at all (pure cycle) falls back
 * to export order. Duplicate ids keep their first occurrence.
 */
export function resolveThreads<T extends TreeItem>(items: readonly T[], pickLeaf: LeafPicker<T>, ctx: ParseContext): Threads<T> {
  const byId = new Map<string, T>();
  for (const item of items) if (!byId.has(item.id)) byId.set(item.id, item);
  const unique = [...byId.values()];
  const parentOf = new Map<string, string | null>();
  const hasChild = new Set<string>();
  for (const item of unique) {
    let parent = item.parentId;
    if (parent !== null && !byId.has(parent)) {
      ctx.warn('dangling-parent', `message ${item.id} points to missing parent ${parent}`);
      parent = null;
    }
    parentOf.set(item.id, parent);
    if (parent !== null) hasChild.add(parent);
  }
  let cycleWarned = false;
  const warnCycle = (id: string): void => {
    if (cycleWarned) return;
    cycleWarned = true;
    ctx.warn('cycle-in-tree', `the message tree loops at ${id}`);
  };
  const leaves = unique.filter((item) => !hasChild.has(item.id));
  if (leaves.length === 0) {
    warnCycle(unique[0]?.id ?? '?');
    return { active: unique, branches: [] };
  }
  const paths = new Map<string, readonly T[]>();
  const pathOf = (leaf: T): readonly T[] => {
    const known = paths.get(leaf.id);
    if (known) return known;
    const path: T[] = [];
    const seen = new Set<string>();
    let cursor: T | undefined = leaf;
    while (cursor !== undefined) {
      if (seen.has(cursor.id)) {
        warnCycle(cursor.id);
        break;
      }
      seen.add(cursor.id);
      path.push(cursor);
      const parent: string | null = parentOf.get(cursor.id) ?? null;
      cursor = parent === null ? undefined : byId.get(parent);
    }
    path.reverse();
    paths.set(leaf.id, path);
    return path;
  };
  const activeLeaf = pickLeaf(leaves, pathOf) ?? leaves[leaves.length - 1];
  const active = activeLeaf === undefined ? [] : pathOf(activeLeaf);
  const branches = leaves.filter((leaf) => leaf !== activeLeaf).map((leaf) => ({ leafId: leaf.id, path: pathOf(leaf) }));
  const reached = new Set<string>();
  for (const item of active) reached.add(item.id);
  for (const branch of branches) for (const item of branch.path) reached.add(item.id);
  const lost = unique.find((item) => !reached.has(item.id));
  if (lost) warnCycle(lost.id);
  return { active, branches };
}

interface Exchange {
  readonly human: MessageDraft | null;
  readonly replies: MessageDraft[];
}

/**
 * Pairs a thread into exchanges: a human message opens one, the assistant messages after it (tool steps,
 * continuations) are its reply; a human message right after another closes the first with no reply; an assistant
 * message with no human before it opens an exchange of its own (an orphan reply).
 */
function pairExchanges(messages: readonly MessageDraft[]): Exchange[] {
  const exchanges: Exchange[] = [];
  let current: Exchange | undefined;
  for (const message of messages) {
    if (message.role === 'human') {
      current = { human: message, replies: [] };
      exchanges.push(current);
    } else if (current === undefined) {
      current = { human: null, replies: [message] };
      exchanges.push(current);
    } else {
      current.replies.push(message);
    }
  }
  return exchanges;
}

function mergeExtras(parts: readonly NodeExtras[]): NodeExtras {
  const extras = emptyExtras();
  for (const part of parts) {
    extras.thinking.push(...part.thinking);
    extras.toolCalls.push(...part.toolCalls);
    extras.system.push(...part.system);
    extras.customInstructions.push(...part.customInstructions);
    extras.citations.push(...part.citations);
  }
  return extras;
}

function exchangeNode(
  provider: Provider,
  conversationId: string,
  exchange: Exchange,
  ordinal: number,
  branchId: string | null,
): NodeDraft {
  const { human, replies } = exchange;
  const humanTurn: Turn = {
    text: human?.text ?? '',
    messageIds: human ? [human.id] : [],
    createdAt: human?.createdAt ?? null,
    model: null,
  };
  let model: string | null = null;
  for (const reply of replies) model = reply.model ?? model;
  const assistant: Turn | null =
    replies.length === 0
      ? null
      : {
          text: replies
            .map((reply) => reply.text)
            .filter((text) => !isBlank(text))
            .join('\n\n'),
          messageIds: replies.map((reply) => reply.id),
          createdAt: replies.find((reply) => reply.createdAt !== null)?.createdAt ?? null,
          model,
        };
  const all = human ? [human, ...replies] : replies;
  return {
    kind: 'exchange',
    provider,
    conversationId,
    ordinal,
    active: branchId === null,
    branchId,
    human: humanTurn,
    assistant,
    extras: mergeExtras(all.map((message) => message.extras)),
    attachments: all.flatMap((message) => message.attachments),
    createdAt: humanTurn.createdAt ?? assistant?.createdAt ?? null,
  };
}

/**
 * Node drafts for a conversation: the active thread's exchanges (ordinal 0..n), then, per branch, only the
 * exchanges holding a message not emitted yet (ordinal counted from the root of that branch, so from its fork).
 * Empty messages are left out here (their adapter warned about them); they still link the tree.
 */
export function threadNodes(
  provider: Provider,
  conversationId: string,
  threads: Threads<MessageDraft & TreeItem>,
  ctx: ParseContext,
): NodeDraft[] {
  const nodes: NodeDraft[] = [];
  const emitted = new Set<string>();
  const emit = (exchange: Exchange, ordinal: number, branchId: string | null): void => {
    if (exchange.human === null) ctx.warn('orphan-reply', `reply ${exchange.replies[0]?.id ?? '?'} has no prompt before it`);
    for (const message of exchange.human ? [exchange.human, ...exchange.replies] : exchange.replies) emitted.add(message.id);
    nodes.push(exchangeNode(provider, conversationId, exchange, ordinal, branchId));
  };
  pairExchanges(threads.active.filter((message) => !isEmptyMessage(message))).forEach((exchange, ordinal) => emit(exchange, ordinal, null));
  for (const branch of threads.branches) {
    pairExchanges(branch.path.filter((message) => !isEmptyMessage(message))).forEach((exchange, ordinal) => {
      const ids = exchange.human ? [exchange.human, ...exchange.replies] : exchange.replies;
      if (ids.some((message) => !emitted.has(message.id))) emit(exchange, ordinal, branch.leafId);
    });
  }
  return nodes;
}

/** A thread in export order with no tree (old exports): everything is active. */
export function linearThreads<T extends TreeItem>(messages: readonly T[]): Threads<T> {
  return { active: messages, branches: [] };
}

/** What an adapter knows about a chat conversation besides its messages. */
export interface ChatHeader {
  readonly title: string | undefined;
  readonly createdAt: number | null;
  readonly updatedAt: number | null;
  /** Null: the model of the last reply on the active thread, when the export names one. */
  readonly model: string | null;
  readonly messageCount: number;
  readonly raw: string;
}

/** A chat conversation from its resolved threads; skipped as 'empty-conversation' when no node is left. */
export function chatConversation(
  provider: Provider,
  providerConversationId: string,
  threads: Threads<MessageDraft & TreeItem>,
  header: ChatHeader,
  ctx: ParseContext,
): ParsedConversation | undefined {
  const id = conversationKey(provider, providerConversationId);
  const nodes = threadNodes(provider, id, threads, ctx);
  if (nodes.length === 0) {
    ctx.skip('empty-conversation', `conversation ${providerConversationId} has only empty messages`);
    return undefined;
  }
  const active = nodes.filter((node) => node.active);
  const model = header.model ?? active.reduce<string | null>((last, node) => node.assistant?.model ?? last, null);
  return {
    conversation: {
      id,
      provider,
      providerConversationId,
      kind: 'chat',
      title: header.title?.trim() || titleFrom(active.find((node) => node.human.text !== '')?.human.text ?? '') || 'Untitled conversation',
      createdAt: header.createdAt,
      updatedAt: header.updatedAt,
      model,
      messageCount: header.messageCount,
      raw: header.raw,
    },
    nodes,
  };
}
