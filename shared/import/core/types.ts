/** Types of the importer's public API (documented in shared/import/index.ts). */
import { z } from 'zod';
import { appErrorDataSchema } from '../../errors';
import { providerSchema, type Conversation, type MemoryNode } from '../../model';
import type { Digest } from '../identity';
import { SKIP_REASONS, WARNING_KINDS, type ProviderAdapter } from '../provider';
import { backupImportSchema } from '../providers/vault-backup';

/** A file to import: a browser File (`{name, size, stream: () => file.stream()}`) or a node file stream. */
export interface ImportSource {
  /** For the report and messages only: never used to detect the provider. */
  readonly name: string;
  /** Total bytes when known (for progress), else null. */
  readonly size: number | null;
  /** May be called more than once (a zip holding only HTML entries is read a second time). */
  stream(): ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface ImportLimits {
  /** Deepest nesting of arrays/objects accepted (IMPORT_TOO_DEEP beyond). */
  readonly maxDepth: number;
  /** Largest single JSON record (one conversation) in bytes; larger ones are skipped as 'record-too-large'. */
  readonly maxRecordBytes: number;
  /** Largest CSV/HTML document (read whole) in bytes; larger ones are skipped as 'record-too-large'. */
  readonly maxTextBytes: number;
  /** A zip entry inflating beyond this many bytes at more than `maxZipRatio` times its compressed size is a bomb. */
  readonly zipRatioFloorBytes: number;
  readonly maxZipRatio: number;
  /** Total inflated bytes of one zip (IMPORT_ZIP_BOMB beyond). */
  readonly maxZipTotalBytes: number;
}

export const DEFAULT_LIMITS: ImportLimits = {
  maxDepth: 256,
  maxRecordBytes: 128 * 1024 * 1024,
  maxTextBytes: 256 * 1024 * 1024,
  zipRatioFloorBytes: 16 * 1024 * 1024,
  maxZipRatio: 100,
  maxZipTotalBytes: 8 * 1024 * 1024 * 1024,
};

export interface ImportOptions {
  /** SHA-256: e.g. `async (b) => new Uint8Array(await crypto.subtle.digest('SHA-256', b))`. */
  readonly digest: Digest;
  /** Clock in epoch ms (for the report's duration). */
  readonly now: () => number;
  readonly signal?: AbortSignal;
  /**
   * Which node ids the vault already holds (same order as asked). Must see every batch already yielded: the caller
   * commits a batch before asking for the next one. Without it every node counts as new.
   */
  readonly isKnown?: (nodeIds: readonly string[]) => Promise<readonly boolean[]>;
  /** Resume: the `checkpoint.records` of the last committed batch; conversations completed up to it are not delivered again. */
  readonly skipRecords?: number;
  /** Most conversations per batch (default 200); a batch also ends after `batchChars` characters of raw records. */
  readonly batchSize?: number;
  /**
   * A batch ends once its conversations' raw records pass this many characters (default 2 M, about 2 MB of
   * ASCII). What is in flight bounds the importer's memory: a caller with no cost per batch (no transaction to
   * commit) can lower it, and the heap then stays smaller (V8 lets old-space garbage grow to a multiple of what is
   * live). A single larger conversation is still delivered whole, in a batch of its own.
   */
  readonly batchChars?: number;
  /** Adapters to detect and parse with (default: every provider in shared/import/providers). */
  readonly adapters?: readonly ProviderAdapter[];
  readonly limits?: Partial<ImportLimits>;
}

export interface ImportedConversation {
  /** Every conversation read is delivered (a later export may carry a newer title or raw record): put by id. */
  readonly conversation: Conversation;
  /** Only the nodes that are new (not known to `isKnown`); all of them, active and inactive, of one conversation. */
  readonly nodes: MemoryNode[];
  /** How many of this conversation's nodes were already known. */
  readonly duplicates: number;
}

export interface ImportProgress {
  /** Bytes of the source read so far (compressed bytes for a zip). */
  readonly bytesRead: number;
  readonly totalBytes: number | null;
  readonly records: number;
  readonly conversations: number;
  /** New nodes so far. */
  readonly nodes: number;
  readonly duplicates: number;
}

export interface ImportBatch {
  readonly items: ImportedConversation[];
  readonly progress: ImportProgress;
  /**
   * Pass `checkpoint.records` as `skipRecords` to resume after this batch was committed. It counts records and ends of
   * documents (a position in the import, not a count for display: `progress.records` is that).
   */
  readonly checkpoint: { readonly records: number };
}

const countsOf = <K extends string>(keys: readonly K[]) => z.record(z.enum(keys as unknown as [K, ...K[]]), z.number().int().nonnegative());

export const importEntryReportSchema = z.object({
  /** File name, or zip entry path. */
  name: z.string(),
  provider: providerSchema.nullable(),
  /** Uncompressed bytes read. */
  bytes: z.number().int().nonnegative(),
  conversations: z.number().int().nonnegative(),
  /** 'imported': claimed by an adapter; 'ignored': readable but no adapter claimed it (or HTML beside JSON). */
  status: z.enum(['imported', 'ignored']),
});
export type ImportEntryReport = z.infer<typeof importEntryReportSchema>;

export const importReportSchema = z.object({
  status: z.enum(['complete', 'failed', 'cancelled']),
  /** The main provider (most conversations), null when nothing was recognised. */
  provider: providerSchema.nullable(),
  providers: z.array(providerSchema),
  entries: z.array(importEntryReportSchema),
  records: z.number().int().nonnegative(),
  /** Distinct conversations delivered. */
  conversations: z.number().int().nonnegative(),
  /** New nodes delivered. */
  nodes: z.number().int().nonnegative(),
  /** Nodes that were already known. */
  duplicates: z.number().int().nonnegative(),
  skipped: countsOf(SKIP_REASONS),
  warnings: countsOf(WARNING_KINDS),
  /** Non-fatal problems worth a sentence (e.g. IMPORT_RECORD_TOO_LARGE), once per code. */
  notices: z.array(appErrorDataSchema),
  /** Bytes of the source read. */
  bytes: z.number().int().nonnegative(),
  ms: z.number().nonnegative(),
  /** Present unless status is 'complete'. */
  error: appErrorDataSchema.optional(),
  /** Past imports listed in the app's own backup, for the caller to restore into its history. */
  history: z.array(backupImportSchema).default([]),
});
export type ImportReport = z.infer<typeof importReportSchema>;
