/**
 * Cogzy Vault's own backup (Settings → Your data → "Export as JSON"), read back through the normal import path.
 *
 * The document: `{format: 'cogzy-vault-export', version, exportedAt, conversations: [...], imports: [...]}`.
 *   v1: conversations only, each `{...Conversation, nodes: MemoryNode[]}` (every branch, hidden parts included).
 *   v2: adds `imports`, the import history (BackupImport), restored beside the conversations.
 * Detected by content (the `format` property comes first), read loosely (zod; a record that does not parse is
 * skipped, never fatal), written strictly by web/src/vault/export.ts. Conversations keep their own provider and ids;
 * node ids are content hashes, so the importer recomputes the same ids from the same content.
 */
import { z } from 'zod';
import { appErrorDataSchema } from '../../errors';
import { conversationSchema, memoryNodeSchema, providerSchema } from '../../model';
import type { JsonRecord, NodeDraft, ParseContext, ParsedConversation, ProviderAdapter, RecordConsumer } from '../provider';

export const VAULT_BACKUP_FORMAT = 'cogzy-vault-export';
/** The version this app writes; every version up to it is read. */
export const VAULT_BACKUP_VERSION = 2;

export const vaultBackupHeaderSchema = z.object({
  format: z.literal(VAULT_BACKUP_FORMAT),
  version: z.number().int().positive(),
  exportedAt: z.string(),
});

/** One conversation of a backup: the conversation with every node of every branch. */
export const backupConversationSchema = conversationSchema.extend({ nodes: z.array(memoryNodeSchema) });
export type BackupConversation = z.infer<typeof backupConversationSchema>;

const counts = z.record(z.string(), z.number().int().nonnegative());

/** One past import as the history shows it (a finished run: its resume point is not kept). */
export const backupImportSchema = z.object({
  fileName: z.string(),
  provider: providerSchema.nullable(),
  bytes: z.number().nonnegative(),
  fileKey: z.string(),
  status: z.enum(['complete', 'failed', 'cancelled', 'interrupted']),
  progress: z.object({
    bytesRead: z.number().nonnegative(),
    conversations: z.number().int().nonnegative(),
    nodes: z.number().int().nonnegative(),
  }),
  counts: z.object({
    created: z.number().int().nonnegative(),
    deduplicated: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
    conversationsCreated: z.number().int().nonnegative(),
    conversationsUpdated: z.number().int().nonnegative(),
  }),
  skippedByReason: counts,
  warnings: counts,
  error: appErrorDataSchema.nullable(),
  notices: z.array(appErrorDataSchema),
  timings: z.object({
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    parseMs: z.number().nonnegative(),
    writeMs: z.number().nonnegative(),
  }),
});
export type BackupImport = z.infer<typeof backupImportSchema>;

function toParsed(conversation: BackupConversation): ParsedConversation {
  const { nodes, schemaVersion: _schemaVersion, nodeCount: _nodeCount, ...draft } = conversation;
  // The exporter writes the active thread first, then the branches: the order the importer's identity expects.
  const ordered = [...nodes].sort((a, b) => Number(b.active) - Number(a.active) || a.ordinal - b.ordinal);
  return {
    conversation: draft,
    nodes: ordered.map(({ id: _id, schemaVersion: _v, ...node }): NodeDraft => node),
  };
}

function createConsumer(ctx: ParseContext): RecordConsumer {
  return {
    push(record: JsonRecord): ParsedConversation[] {
      if (record.path === 'conversations' && record.inArray === true) {
        const parsed = backupConversationSchema.safeParse(record.value);
        if (!parsed.success) {
          ctx.skip('malformed-record', parsed.error.issues[0]?.message);
          return [];
        }
        if (parsed.data.nodes.length === 0) {
          ctx.skip('empty-conversation');
          return [];
        }
        return [toParsed(parsed.data)];
      }
      if (record.path === 'imports' && record.inArray === true) {
        const parsed = backupImportSchema.safeParse(record.value);
        if (parsed.success) ctx.history?.(parsed.data);
        else ctx.skip('malformed-record', parsed.error.issues[0]?.message);
      }
      // The header (format, version, exportedAt) carries nothing to import.
      return [];
    },
    end: () => [],
  };
}

export const vaultBackupAdapter: ProviderAdapter = {
  // A backup holds every provider's conversations; each names its own.
  provider: null,
  detectJson(first, rootKind) {
    return rootKind === 'object' && first.path === 'format' && first.value === VAULT_BACKUP_FORMAT ? 1 : 0;
  },
  createJsonConsumer: createConsumer,
};
