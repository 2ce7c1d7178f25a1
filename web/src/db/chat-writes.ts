/**
 * Writes of the ask-memory view, next to the import writes and in the same shape: a chat is a conversation of
 * provider "cogzy" whose exchanges are memory nodes, so they are searchable, in the timeline and become context in
 * turn. Saved memories are synced records (vault/memories.ts).
 *
 *   saveChatExchange(db, exchange: ChatExchangeInput): Promise<NodeRow>   // conversation + node + index, one transaction
 */
import { identityBytes } from '../../../shared/import';
import { conversationKey, emptyExtras, type Conversation, type MemoryNode } from '../../../shared/model';
import { sha256Hex } from '../../../shared/sync/hash';
import { appendToSearchIndex, nodeToIndexDoc, readIndexStats } from '../search/keyword-index';
import { toConversationRow, withStorageErrors, type NodeRow, type VaultDatabase } from './database';

export const COGZY_PROVIDER = 'cogzy';

export interface ChatExchangeInput {
  /** The chat's own id (random, per chat). */
  chatId: string;
  /** The chat's title: its first question, shortened. */
  title: string;
  /** Position of this exchange in the chat. */
  ordinal: number;
  question: string;
  answer: string;
  model: string | null;
  askedAt: number;
  now: number;
  /** The node this one replaces (regenerate, edit-and-resend): it stays, as an inactive branch. */
  replacesNodeId: string | null;
}

/**
 * One transaction, because these must stay consistent: the conversation row (its node count and time), the node,
 * its keyword-index segment (numbered from the stats row written here), and the replaced node turned inactive.
 */
export async function saveChatExchange(db: VaultDatabase, input: ChatExchangeInput): Promise<NodeRow> {
  const conversationId = conversationKey(COGZY_PROVIDER, input.chatId);
  const id = await sha256Hex(new Uint8Array(identityBytes(COGZY_PROVIDER, conversationId, 'exchange', input.question, input.answer, input.ordinal)));
  const node: MemoryNode = {
    schemaVersion: 1,
    id,
    kind: 'exchange',
    provider: COGZY_PROVIDER,
    conversationId,
    ordinal: input.ordinal,
    active: true,
    branchId: null,
    human: { text: input.question, messageIds: [], createdAt: input.askedAt, model: null },
    assistant: { text: input.answer, messageIds: [], createdAt: input.now, model: input.model },
    extras: emptyExtras(),
    attachments: [],
    createdAt: input.askedAt,
  };
  return withStorageErrors(() =>
    db.transaction('rw', [db.conversations, db.conversationRaws, db.nodes, db.searchIndex], async () => {
      const existing = await db.nodes.get(id);
      if (existing) return existing;
      if (input.replacesNodeId !== null) {
        const old = await db.nodes.get(input.replacesNodeId);
        if (old) await db.nodes.put({ ...old, active: false, isActive: 0, branchId: `replaced-by:${id}` });
      }
      const before = await db.conversations.get(conversationId);
      const activeCount = await db.nodes.where('[conversationId+ordinal]').between([conversationId, 0], [conversationId, Infinity]).filter((n) => n.active).count();
      const conversation: Conversation = {
        schemaVersion: 1,
        id: conversationId,
        provider: COGZY_PROVIDER,
        providerConversationId: input.chatId,
        kind: 'chat',
        title: before?.title ?? input.title,
        createdAt: before?.createdAt ?? input.askedAt,
        updatedAt: input.now,
        model: input.model,
        messageCount: (before?.messageCount ?? 0) + 2,
        nodeCount: activeCount + 1,
        raw: JSON.stringify({ format: 'cogzy-chat', version: 1, chatId: input.chatId }),
      };
      const { row, raw } = toConversationRow(conversation);
      await db.conversations.put(row);
      await db.conversationRaws.put(raw);
      const stats = await readIndexStats(db.searchIndex);
      const stored: NodeRow = { ...node, docId: stats.nextDocId, isActive: 1 };
      await db.nodes.add(stored);
      await appendToSearchIndex(db.searchIndex, stats, [nodeToIndexDoc(stored)]);
      return stored;
    }),
  );
}
