/**
 * The contract between the importer core (streaming, zip, detection, identity, report) and each provider's adapter.
 *
 * The core turns bytes into *records* and hands them to the adapter that claimed the file (or zip entry):
 * - JSON files: the core streams the document and emits one record per element of the root array, or, when the
 *   root is an object, one record per element of each top-level array property (`path` = the property name) and one
 *   record for each non-array property value. Each record carries its parsed value and its exact JSON text.
 * - Text files (CSV, HTML): small by nature, passed whole to `parseText`.
 * Adapters are pure and synchronous: no I/O, no clock, no hashing. They return conversation drafts; the core gives
 * every node its content-hash id (shared/import/identity.ts) and does de-duplication and reporting.
 * A record the adapter cannot read is reported through `ctx.skip(reason)` and never aborts the file. A text
 * document that cannot be read reliably at all (a CSV quote never closed) fails with an AppError of its own code.
 */
import type { Attachment, Conversation, MemoryNode, NodeExtras, Provider, Turn } from '../model';
import type { BackupImport } from './providers/vault-backup';

export interface JsonRecord {
  /** '' for elements of a root array; otherwise the top-level property name (e.g. 'conversations', 'projects'). */
  readonly path: string;
  /** Element index within its array (0 for a non-array property value). */
  readonly index: number;
  readonly value: unknown;
  /** The record's exact JSON text from the file. */
  readonly raw: string;
  /**
   * True for an element of an array (the root array or a top-level array property), false for a non-array property
   * value of a root object (so `{"a": [5]}` and `{"a": 5}` can be told apart). The core always sets it.
   */
  readonly inArray?: boolean;
}

/** A node before identity: the core adds `id` and `schemaVersion`. */
export type NodeDraft = Omit<MemoryNode, 'id' | 'schemaVersion'>;
export type ConversationDraft = Omit<Conversation, 'schemaVersion' | 'nodeCount'>;

export interface ParsedConversation {
  readonly conversation: ConversationDraft;
  /** Active-thread nodes in order, then inactive-branch nodes. Never half a conversation. */
  readonly nodes: readonly NodeDraft[];
}

/** Closed list of reasons a record is skipped (counted in the report, never fatal). */
export const SKIP_REASONS = [
  'malformed-record',
  'missing-id',
  'no-messages',
  'empty-conversation',
  'unsupported-record',
  'duplicate-conversation',
  'bad-timestamp',
  /** Larger than the core's record size limit (IMPORT_RECORD_TOO_LARGE); set by the core, not by adapters. */
  'record-too-large',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** Closed list of warning kinds (counted in the report; the record is still imported). */
export const WARNING_KINDS = [
  'unknown-content-type',
  'unknown-block-type',
  'unknown-role',
  'cycle-in-tree',
  'dangling-parent',
  'missing-timestamp',
  'bad-timestamp',
  'empty-message',
  'orphan-reply',
  'html-best-effort',
  'unreadable-part',
  'ignored-entry',
] as const;
export type WarningKind = (typeof WARNING_KINDS)[number];

export interface ParseContext {
  /** Name of the file or zip entry being read (for messages only: never used for detection). */
  readonly source: string;
  skip(reason: SkipReason, detail?: string): void;
  warn(kind: WarningKind, detail?: string): void;
  /** A past import listed in the app's own backup: the run reports it so the caller restores the history. */
  history?(entry: BackupImport): void;
}

export interface RecordConsumer {
  /** Returns the conversations completed by this record (usually 0 or 1; Gemini groups rows across records). */
  push(record: JsonRecord): ParsedConversation[];
  /** End of the file: flush what is still open. */
  end(): ParsedConversation[];
}

export interface ProviderAdapter {
  /** null: the document holds several providers' conversations (the app's own backup) and each names its own. */
  readonly provider: Provider | null;
  /**
   * Confidence in [0, 1] that a JSON document is this provider's, judged by content only. The core calls it on
   * the first record, and keeps calling it on the following records (in order, up to a small limit) until some
   * adapter returns more than 0, so an object root can be claimed by a later property (e.g. `mapping` of a single
   * ChatGPT conversation). The records read before the claim are then replayed to the consumer. 0 = certainly not.
   */
  detectJson?(first: JsonRecord, rootKind: 'array' | 'object'): number;
  createJsonConsumer?(ctx: ParseContext): RecordConsumer;
  /** Confidence for a text (CSV/HTML) document from its first few KB. */
  detectText?(head: string): number;
  parseText?(text: string, ctx: ParseContext): ParsedConversation[];
}

export type { Attachment, NodeExtras, Turn };
