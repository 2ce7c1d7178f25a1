/**
 * Messages between the page and the import worker (plain postMessage, validated with zod on both sides).
 * Errors cross as data (AppErrorData), never as thrown objects.
 *
 *   page -> worker: ToWorker    { type: 'start', runId, files } | { type: 'cancel', runId }
 *   worker -> page: FromWorker  file-started | progress | file-finished | run-finished | run-failed | run-closed
 *     (run-finished: the files are in; run-closed: its work after them, the index's merge and snapshot, is done too)
 *   IMPORT_LOCK_NAME: Web Lock held while a run is in progress (other tabs must not mark it interrupted)
 */
import { z } from 'zod';
import { appErrorDataSchema } from '../../../shared/errors';
import { importRowSchema } from '../db/database';

export const IMPORT_LOCK_NAME = 'cogzy-vault-import';

const fileSchema = z.custom<File>((value) => typeof File !== 'undefined' && value instanceof File, { message: 'expected a File' });

export const toWorkerSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('start'), runId: z.string(), files: z.array(fileSchema).min(1) }),
  z.object({ type: z.literal('cancel'), runId: z.string() }),
]);
export type ToWorker = z.infer<typeof toWorkerSchema>;

export const importProgressSchema = z.object({
  fileIndex: z.number().int().nonnegative(),
  importId: z.number().int(),
  bytesRead: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  conversations: z.number().int().nonnegative(),
  /** New nodes so far in this file. */
  nodes: z.number().int().nonnegative(),
  duplicates: z.number().int().nonnegative(),
  etaMs: z.number().nonnegative().nullable(),
});
export type ImportProgressMessage = z.infer<typeof importProgressSchema>;

export const fromWorkerSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('file-started'),
    runId: z.string(),
    fileIndex: z.number().int().nonnegative(),
    importId: z.number().int(),
    fileName: z.string(),
    bytes: z.number().nonnegative(),
    resumedFromRecord: z.number().int().nonnegative().nullable(),
  }),
  importProgressSchema.extend({ type: z.literal('progress'), runId: z.string() }),
  z.object({ type: z.literal('file-finished'), runId: z.string(), fileIndex: z.number().int().nonnegative(), importId: z.number().int(), row: importRowSchema }),
  z.object({ type: z.literal('run-finished'), runId: z.string(), rows: z.array(importRowSchema) }),
  z.object({ type: z.literal('run-failed'), runId: z.string(), error: appErrorDataSchema }),
  z.object({ type: z.literal('run-closed'), runId: z.string() }),
]);
export type FromWorker = z.infer<typeof fromWorkerSchema>;
