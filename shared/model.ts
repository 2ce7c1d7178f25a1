/**
 * The domain model of a vault: conversations and memory nodes (one human turn + the assistant's reply).
 * Persisted and wire forms carry `schemaVersion`; read loosely (zod), write strictly, migrate on read.
 */
import { z } from 'zod';

// 'cogzy': chats held in Cogzy's own ask-memory view. Append only: the keyword index stores a provider's position.
export const PROVIDERS = ['chatgpt', 'claude', 'gemini', 'grok', 'deepseek', 'copilot', 'cogzy'] as const;
export const providerSchema = z.enum(PROVIDERS);
export type Provider = z.infer<typeof providerSchema>;

export const PROVIDER_LABELS: Record<Provider, string> = {
  chatgpt: 'ChatGPT',
  claude: 'Claude',
  gemini: 'Gemini',
  grok: 'Grok',
  deepseek: 'DeepSeek',
  copilot: 'Copilot',
  cogzy: 'Cogzy',
};

/** Epoch milliseconds, or null when the export does not say. */
export const timestampSchema = z.number().finite().nullable();

export const turnSchema = z.object({
  /** The visible text of the turn, as the person saw it (markdown for assistants). */
  text: z.string(),
  /** Provider message ids folded into this turn (several when a reply spans tool calls). */
  messageIds: z.array(z.string()),
  createdAt: timestampSchema,
  /** Model slug for assistant turns when known. */
  model: z.string().nullable(),
});
export type Turn = z.infer<typeof turnSchema>;

export const toolCallSchema = z.object({
  name: z.string(),
  /** Arguments / query / code as text. */
  input: z.string(),
  /** The tool's output as text, when the export carries it. */
  output: z.string().nullable(),
});
export type ToolCall = z.infer<typeof toolCallSchema>;

export const attachmentSchema = z.object({
  name: z.string(),
  kind: z.enum(['file', 'image', 'audio', 'other']),
  mimeType: z.string().nullable(),
  /** Extracted text (Claude's extracted_content, audio transcriptions); null when only a name is known. */
  text: z.string().nullable(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** Hidden parts: kept for search and the reader's toggles, never mixed into the visible text. */
export const nodeExtrasSchema = z.object({
  thinking: z.array(z.string()),
  toolCalls: z.array(toolCallSchema),
  /** System prompts and hidden system messages that precede or sit inside the exchange. */
  system: z.array(z.string()),
  /** ChatGPT custom instructions (user_editable_context) and similar. */
  customInstructions: z.array(z.string()),
  /** Web citations / search results: titles and URLs as text. */
  citations: z.array(z.string()),
});
export type NodeExtras = z.infer<typeof nodeExtrasSchema>;

export const NODE_KINDS = ['exchange', 'document', 'memory'] as const;

export const memoryNodeSchema = z.object({
  schemaVersion: z.literal(1),
  /** Content hash (hex SHA-256): see shared/import/identity.ts. Stable across re-imports of cumulative exports. */
  id: z.string().regex(/^[0-9a-f]{64}$/),
  /** `exchange`: a human turn + reply; `document`: a project knowledge doc (human.text = title); `memory`: a provider's saved memory. */
  kind: z.enum(NODE_KINDS),
  provider: providerSchema,
  conversationId: z.string(),
  /** Position within its thread (0-based). Alternate-branch nodes count from their fork point. */
  ordinal: z.number().int().nonnegative(),
  /** False for nodes that only exist on an abandoned branch (edits, regenerations): kept, not shown by default. */
  active: z.boolean(),
  /** For inactive nodes: a stable label of the branch they belong to (e.g. the branch leaf's message id). */
  branchId: z.string().nullable(),
  human: turnSchema,
  /** Null when the prompt got no reply (e.g. a Gemini prompt whose answer is missing). */
  assistant: turnSchema.nullable(),
  extras: nodeExtrasSchema,
  attachments: z.array(attachmentSchema),
  /** Time of the human turn (or the reply when the human turn has none). */
  createdAt: timestampSchema,
});
export type MemoryNode = z.infer<typeof memoryNodeSchema>;

export const conversationSchema = z.object({
  schemaVersion: z.literal(1),
  /** `${provider}:${providerConversationId}` (synthesised for Gemini rows without an app id). */
  id: z.string(),
  provider: providerSchema,
  providerConversationId: z.string(),
  kind: z.enum(['chat', 'project', 'memories']),
  title: z.string(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
  /** Default or most used model. */
  model: z.string().nullable(),
  /** Messages in the export for this conversation (all branches, all roles). */
  messageCount: z.number().int().nonnegative(),
  /** Nodes on the active thread. */
  nodeCount: z.number().int().nonnegative(),
  /** The raw record exactly as in the export (JSON text or CSV/HTML rows), kept for re-parsing with a later importer. */
  raw: z.string(),
});
export type Conversation = z.infer<typeof conversationSchema>;

export function conversationKey(provider: Provider, providerConversationId: string): string {
  return `${provider}:${providerConversationId}`;
}

export function emptyExtras(): NodeExtras {
  return { thinking: [], toolCalls: [], system: [], customInstructions: [], citations: [] };
}
