/**
 * Messages between the import worker and its batch writer (writer-worker.ts), plain postMessage, checked with zod on
 * both sides. The writer runs each batch's IndexedDB transaction on a thread of its own: a request costs its caller
 * about a fifth of a millisecond (chromium), and on the import worker those costs queued behind parsing and indexing.
 * Errors cross as data (AppErrorData).
 *
 *   import worker -> writer: ToWriter    { type: 'commit', id, database, importId, batch, prepared, timing, known }
 *   writer -> import worker: FromWriter  { type: 'done', id, counts, added } | { type: 'failed', id, error }
 *
 * The batch and its prepared rows come from the import worker's own importer (the same origin, the same build) and
 * are large (a thousand nodes each): their shape is checked, their content is the importer's contract.
 */
import { z } from 'zod';
import { appErrorDataSchema } from '../../../shared/errors';
import type { ImportBatch } from '../../../shared/import';
import type { BatchCounts } from '../db/import-writes';
import type { IndexPosition, PreparedSegment } from '../search/keyword-index';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;

function isImportBatch(value: unknown): value is ImportBatch {
  if (!isRecord(value) || !Array.isArray(value['items']) || !isRecord(value['progress']) || !isRecord(value['checkpoint'])) return false;
  if (!isCount(value['checkpoint']['records'])) return false;
  return value['items'].every(
    (item: unknown) => isRecord(item) && isRecord(item['conversation']) && typeof item['conversation']['id'] === 'string' && Array.isArray(item['nodes']) && isCount(item['duplicates']),
  );
}

const positionSchema = z.object({ nextDocId: z.number().int().positive(), nextSeg: z.number().int().nonnegative() });

/**
 * A PreparedBatch without its node rows, which are the batch's own nodes numbered from `segment.at.nextDocId`: the
 * writer builds them again from `rowIds` rather than receive every node twice.
 */
export interface PreparedWire {
  rowIds: string[];
  segment: PreparedSegment;
  next: IndexPosition;
}

function isPreparedWire(value: unknown): value is PreparedWire {
  if (!isRecord(value) || !Array.isArray(value['rowIds']) || !value['rowIds'].every((id) => typeof id === 'string')) return false;
  if (!positionSchema.safeParse(value['next']).success || !isRecord(value['segment'])) return false;
  return Array.isArray(value['segment']['rows']) && positionSchema.safeParse(value['segment']['at']).success;
}

export const toWriterSchema = z.object({
  type: z.literal('commit'),
  id: z.number().int().nonnegative(),
  /** The IndexedDB database the import worker writes (the vault's, or a benchmark's). */
  database: z.string().min(1).max(200),
  importId: z.number().int(),
  batch: z.custom<ImportBatch>(isImportBatch, { message: 'expected an import batch' }),
  prepared: z.custom<PreparedWire>(isPreparedWire, { message: 'expected a prepared batch' }),
  timing: z.object({ parseMs: z.number().nonnegative(), now: z.number() }),
  /** The batch's node ids the import already knows (stored, or in the batch before): never stored again. */
  known: z.array(z.string()),
});
export type ToWriter = z.infer<typeof toWriterSchema>;

const countsSchema = z.object({
  created: z.number().int().nonnegative(),
  deduplicated: z.number().int().nonnegative(),
  skippedDeleted: z.number().int().nonnegative(),
  conversationsCreated: z.number().int().nonnegative(),
  conversationsUpdated: z.number().int().nonnegative(),
  indexAt: positionSchema,
}) satisfies z.ZodType<BatchCounts>;

export const fromWriterSchema = z.discriminatedUnion('type', [
  /** `added`: the ids of the nodes this batch stored. */
  z.object({ type: z.literal('done'), id: z.number().int().nonnegative(), counts: countsSchema, added: z.array(z.string()) }),
  z.object({ type: z.literal('failed'), id: z.number().int().nonnegative(), error: appErrorDataSchema }),
]);
export type FromWriter = z.infer<typeof fromWriterSchema>;

/** What both ends need of a Worker, a DedicatedWorkerGlobalScope or a MessagePort. */
export interface WriterPort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: MessageEvent<unknown>) => void): void;
  addEventListener(type: 'messageerror', listener: () => void): void;
}
