/**
 * Writes of the ask-memory view, next to the import writes and in the same shape: a chat is a conversation of
 * provider "cogzy" whose exchanges are memory nodes, so they are searchable, in the timeline and become context in
 * turn. Saved memories are synced records (vault/memories.ts).
 *
 *   saveChatExchange(db, exchange: ChatExchangeInput): Promise<NodeRow>   // conversation + node + index + sync queue, one transaction
 */
import { identityBytes } from '../../../shared/import';
import { conversationKey, emptyExtras, type Conversation, type MemoryNode } from '../../../shared/model';
import { sha256Hex } from '../../../shared/sync/hash';
import { AppError } from '../../../shared/errors';
import { withStorageErrors, type NodeRow, type VaultDatabase } from './database';
import { markPendingKeys, SYNC_BOOKKEEPING_TABLES, tombstonedKeys } from './sync-bookkeeping';
import { fromNodeRow, VAULT_WRITE_TABLES, VaultWriter } from './vault-writes';

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
 * its keyword-index entry, the replaced node turned inactive (and re-indexed as such), and the sync queue, so chats
 * reach the person's other devices like any conversation.
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
    db.transaction('rw', [...VAULT_WRITE_TABLES, ...SYNC_BOOKKEEPING_TABLES], async () => {
      const existing = await db.nodes.get(id);
      if (existing) return existing;
      // A chat the person deleted (here or on another device) stays deleted: nothing is written back into it.
      if ((await tombstonedKeys(db, [`conversation:${conversationId}`])).size > 0) throw new AppError('CHAT_DELETED');
      const writer = new VaultWriter(db);
      const changedNodes: MemoryNode[] = [];
      if (input.replacesNodeId !== null) {
        const old = await db.nodes.get(input.replacesNodeId);
        if (old) changedNodes.push({ ...fromNodeRow(old), active: false, branchId: `replaced-by:${id}` });
      }
      const before = await db.conversations.get(conversationId);
      const activeCount = (await db.nodes.ofConversation(conversationId)).filter((n) => n.active).length;
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
        nodeCount: activeCount + 1 - changedNodes.length,
        raw: JSON.stringify({ format: 'cogzy-chat', version: 1, chatId: input.chatId }),
      };
      // The one node-write path (index and vectors kept with the rows), and the sync queue in the same transaction.
      await writer.putConversations([conversation]);
      await writer.put([...changedNodes, node]);
      await writer.flush();
      await markPendingKeys(db, [`conversation:${conversationId}`, ...changedNodes.map((n) => `node:${n.id}`), `node:${id}`]);
      const stored = await db.nodes.get(id);
      if (!stored) throw new AppError('STORAGE_FAILED', { detail: 'the chat exchange was not stored' });
      return stored;
    }),
  );
}
