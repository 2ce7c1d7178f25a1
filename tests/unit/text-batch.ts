// Import batches of plain-text exchanges for search tests: what the importer would hand over, without a file.
import type { ImportBatch } from '../../shared/import';
import { providerSchema, type MemoryNode } from '../../shared/model';

/** The node id of test node number `n` (64 hex digits, as content hashes are). */
export function testNodeId(n: number): string {
  return n.toString(16).padStart(64, '0');
}

/** One exchange of `conversationId` (`provider:key`), numbered `n` for its id. */
export function textNode(conversationId: string, ordinal: number, n: number, human: string, assistant: string): MemoryNode {
  return {
    schemaVersion: 1,
    id: testNodeId(n),
    kind: 'exchange',
    provider: providerSchema.parse(conversationId.split(':')[0]),
    conversationId,
    ordinal,
    active: true,
    branchId: null,
    human: { text: human, messageIds: [], createdAt: null, model: null },
    assistant: { text: assistant, messageIds: [], createdAt: null, model: null },
    extras: { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] },
    attachments: [],
    createdAt: null,
  };
}

/** A conversation with its nodes, as one item of a batch. */
export function textConversation(conversationId: string, title: string, nodes: MemoryNode[]): ImportBatch['items'][number] {
  const [provider, ...key] = conversationId.split(':');
  return {
    conversation: {
      schemaVersion: 1,
      id: conversationId,
      provider: providerSchema.parse(provider),
      providerConversationId: key.join(':'),
      kind: 'chat',
      title,
      createdAt: null,
      updatedAt: null,
      model: null,
      messageCount: nodes.length * 2,
      nodeCount: nodes.length,
      raw: '{}',
    },
    nodes,
    duplicates: 0,
  };
}

/** A batch of whole conversations, read to the end of its one record each. */
export function textBatch(items: ImportBatch['items']): ImportBatch {
  return { items, progress: { bytesRead: 1, totalBytes: 1, records: items.length, conversations: items.length, nodes: 0, duplicates: 0 }, checkpoint: { records: items.length } };
}
