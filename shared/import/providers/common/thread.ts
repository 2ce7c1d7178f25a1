/**
 * Shared by the tree-shaped exports: pick the active branch of a message tree and cut the other branches at their
 * fork (resolveThreads: Claude, Grok, DeepSeek and ChatGPT, which pairs its own exchanges), pair messages into
 * exchanges (one human turn + the assistant's reply), and emit node drafts: the active thread in order, then each
 * abandoned branch from its fork point on, labelled with its leaf's id.
 */
import { conversationKey, emptyExtras } from '../../../model';
import type { Attachment, NodeExtras, Provider, Turn } from '../../../model';
import type { NodeDraft, ParseContext, ParsedConversation } from '../../provider';
import { isBlank, titleFrom } from './text';
import { appendAll } from '../../../arrays';

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

/** How a message counts when a thread is paired into exchanges: it opens one, replies in one, or counts for neither. */
export type Step = 'open' | 'reply' | 'skip';

/** The common adapters' steps: a human message opens an exchange, an assistant message replies, an empty one is passed over. */
export function messageStep(message: MessageDraft): Step {
  if (isEmptyMessage(message)) return 'skip';
  return message.role === 'human' ? 'open' : 'reply';
}

/** An abandoned branch, from the start of the exchange holding its fork (or from the root) to its leaf. */
export interface Branch<T extends TreeItem> {
  readonly leafId: string;
  readonly path: readonly T[];
  /** Exchanges on the leaf's root path before `path[0]` (so an exchange's ordinal is counted from the root). */
  readonly offset: number;
  /** Index in `path` of the first message that is on no earlier thread (the active one, then branches in order). */
  readonly fresh: number;
}

export interface Threads<T extends TreeItem> {
  /** Root to active leaf. */
  readonly active: readonly T[];
  /** Every other leaf, in input order; only the part after what earlier threads hold is new. */
  readonly branches: readonly Branch<T>[];
}

/** Chooses the active leaf; `depthOf` gives a message's root path length (for longest-chain rules). */
export type LeafPicker<T extends TreeItem> = (leaves: readonly T[], depthOf: (item: T) => number) => T | undefined;

/** The leaf with the newest timestamp; on a tie (or no times) the later one in export order. */
export function newestLeaf<T extends TreeItem & { readonly createdAt: number | null }>(leaves: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const leaf of leaves) {
    if (best === undefined || (leaf.createdAt ?? -Infinity) >= (best.createdAt ?? -Infinity)) best = leaf;
  }
  return best;
}

/** The leaf with the longest root path; ties go to the newest. */
export function longestChainLeaf<T extends TreeItem & { readonly createdAt: number | null }>(leaves: readonly T[], depthOf: (item: T) => number): T | undefined {
  let best: T | undefined;
  let bestLength = -1;
  for (const leaf of leaves) {
    const length = depthOf(leaf);
    if (length > bestLength || (length === bestLength && best !== undefined && (leaf.createdAt ?? -Infinity) >= (best.createdAt ?? -Infinity))) {
      best = leaf;
      bestLength = length;
    }
  }
  return best;
}

const NONE = -1;

/**
 * Resolves a parent-linked message list into the active thread and the other branches. Dangling parents become
 * roots (warned); a cycle is cut where the walk up from a leaf closes it (warned once); a tree with no leaf at all
 * (pure cycle) falls back to export order. Duplicate ids keep their first occurrence.
 *
 * Linear in the messages (plus what the branches emit): a branch is walked up only to where an earlier thread
 * already passed, then through the exchange holding that fork (never the whole root path per leaf, which made a
 * "comb" of n messages cost n² time and memory). `sideContext` (ChatGPT): messages that neither open nor reply
 * (hidden, system) still carry context, so a branch keeps them, and a branch forking in the first exchange starts
 * at the root so context before the first prompt stays with it. Without it such ('skip') messages are left out of
 * the shared part of a branch, and a branch whose new messages are all 'skip' has nothing to add.
 */
export function resolveThreads<T extends TreeItem>(
  items: readonly T[],
  pickLeaf: LeafPicker<T>,
  ctx: ParseContext,
  step: (item: T) => Step,
  sideContext = false,
): Threads<T> {
  const index = new Map<string, number>();
  const unique: T[] = [];
  for (const item of items) {
    if (index.has(item.id)) continue;
    index.set(item.id, unique.length);
    unique.push(item);
  }
  const n = unique.length;
  const parent = new Int32Array(n).fill(NONE);
  const hasChild = new Uint8Array(n);
  unique.forEach((item, at) => {
    if (item.parentId === null) return;
    const up = index.get(item.parentId);
    if (up === undefined) {
      ctx.warn('dangling-parent', `message ${item.id} points to missing parent ${item.parentId}`);
      return;
    }
    parent[at] = up;
    hasChild[up] = 1;
  });
  let cycleWarned = false;
  const warnCycle = (id: string): void => {
    if (cycleWarned) return;
    cycleWarned = true;
    ctx.warn('cycle-in-tree', `the message tree loops at ${id}`);
  };
  const leaves: number[] = [];
  for (let at = 0; at < n; at += 1) if (hasChild[at] === 0) leaves.push(at);
  if (leaves.length === 0) {
    warnCycle(unique[0]?.id ?? '?');
    return { active: unique, branches: [] };
  }

  // Cut cycles: from each leaf, walk up until a root or a message already known to reach one; a walk that
  // closes on itself makes the message where it closes a root.
  const rooted = new Uint8Array(n);
  const walk = new Uint8Array(n);
  for (const leaf of leaves) {
    const trail: number[] = [];
    let at = leaf;
    while (rooted[at] === 0) {
      walk[at] = 1;
      trail.push(at);
      const up = parent[at] as number;
      if (up === NONE) break;
      if (walk[up] === 1) {
        warnCycle((unique[up] as T).id);
        parent[at] = NONE;
        break;
      }
      at = up;
    }
    for (const done of trail) {
      rooted[done] = 1;
      walk[done] = 0;
    }
  }

  // Per message, top-down: depth, the nearest opening message at or above it, and what comes before that one.
  const children = new Int32Array(n).fill(NONE);
  const sibling = new Int32Array(n).fill(NONE);
  const roots: number[] = [];
  for (let at = n - 1; at >= 0; at -= 1) {
    if (rooted[at] === 0) continue;
    const up = parent[at] as number;
    if (up === NONE) roots.push(at);
    else {
      sibling[at] = children[up] as number;
      children[up] = at;
    }
  }
  const depth = new Int32Array(n);
  const opens = new Int32Array(n);
  const nearestOpen = new Int32Array(n).fill(NONE);
  const orphanFirst = new Uint8Array(n);
  /** The nearest ancestor that opens or replies (skipping the 'skip' ones), for branches without side context. */
  const counted = new Int32Array(n).fill(NONE);
  const skipped = new Uint8Array(n);
  const stack = [...roots];
  while (stack.length > 0) {
    const at = stack.pop() as number;
    const up = parent[at] as number;
    const kind = step(unique[at] as T);
    skipped[at] = kind === 'skip' ? 1 : 0;
    counted[at] = up === NONE ? NONE : skipped[up] === 1 ? (counted[up] as number) : up;
    const before = up === NONE ? 0 : (opens[up] as number);
    depth[at] = up === NONE ? 1 : (depth[up] as number) + 1;
    opens[at] = before + (kind === 'open' ? 1 : 0);
    nearestOpen[at] = kind === 'open' ? at : up === NONE ? NONE : (nearestOpen[up] as number);
    // A reply before any opening message forms an exchange of its own (an orphan reply) that counts in ordinals.
    orphanFirst[at] = up !== NONE && orphanFirst[up] === 1 ? 1 : before === 0 && kind === 'reply' ? 1 : 0;
    for (let child = children[at] as number; child !== NONE; child = sibling[child] as number) stack.push(child);
  }
  const lost = unique.find((_item, at) => rooted[at] === 0);
  if (lost) warnCycle(lost.id);

  const seen = new Uint8Array(n);
  const upFrom = (from: number, until: (at: number) => boolean, next: Int32Array = parent): number[] => {
    const out: number[] = [];
    for (let at = from; at !== NONE && !until(at); at = next[at] as number) out.push(at);
    return out.reverse();
  };
  // Every leaf is rooted now (its walk ended at a root or a cut); a picked message caught in a pure cycle is not.
  const leafItems = leaves.map((at) => unique[at] as T);
  const picked = index.get(pickLeaf(leafItems, (item) => depth[index.get(item.id) as number] as number)?.id ?? '');
  const activeAt = picked !== undefined && rooted[picked] === 1 ? picked : (leaves[leaves.length - 1] as number);
  const active = upFrom(activeAt, () => false);
  for (const at of active) seen[at] = 1;

  const branches: Branch<T>[] = [];
  for (const leaf of leaves) {
    if (leaf === activeAt) continue;
    const fresh = upFrom(leaf, (at) => seen[at] === 1);
    for (const at of fresh) seen[at] = 1;
    const first = fresh[0] as number;
    const anchor = sideContext ? first : fresh.find((at) => skipped[at] === 0);
    if (anchor === undefined) continue;
    const open = nearestOpen[anchor] as number;
    const atRoot = open === NONE || (sideContext && opens[open] === 1);
    // The shared part of the path that the exchange holding the fork (or the root's context) needs.
    const until = atRoot ? () => false : (at: number) => (depth[at] as number) < (depth[open] as number);
    const shared = sideContext ? upFrom(parent[first] as number, until) : upFrom(counted[first] as number, until, counted);
    const offset = atRoot ? 0 : (opens[open] as number) - 1 + (orphanFirst[open] as number);
    branches.push({ leafId: (unique[leaf] as T).id, path: [...shared, ...fresh].map((at) => unique[at] as T), offset, fresh: shared.length });
  }
  return { active: active.map((at) => unique[at] as T), branches };
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
    appendAll(extras.thinking, part.thinking);
    appendAll(extras.toolCalls, part.toolCalls);
    appendAll(extras.system, part.system);
    appendAll(extras.customInstructions, part.customInstructions);
    appendAll(extras.citations, part.citations);
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
  const emit = (exchange: Exchange, ordinal: number, branchId: string | null): void => {
    if (exchange.human === null) ctx.warn('orphan-reply', `reply ${exchange.replies[0]?.id ?? '?'} has no prompt before it`);
    nodes.push(exchangeNode(provider, conversationId, exchange, ordinal, branchId));
  };
  pairExchanges(threads.active.filter((message) => !isEmptyMessage(message))).forEach((exchange, ordinal) => emit(exchange, ordinal, null));
  for (const branch of threads.branches) {
    // Only exchanges holding a message that no earlier thread emitted.
    const fresh = new Set<MessageDraft>(branch.path.slice(branch.fresh));
    pairExchanges(branch.path.filter((message) => !isEmptyMessage(message))).forEach((exchange, index) => {
      const messages = exchange.human ? [exchange.human, ...exchange.replies] : exchange.replies;
      if (messages.some((message) => fresh.has(message))) emit(exchange, branch.offset + index, branch.leafId);
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
