/**
 * Merging the keyword index's segments away from the page. A pull writes one index segment per chunk of records it
 * merges (shared/sync/engine.ts C5), and queries read every segment of a term's part, so after a pull the segments
 * are merged as an import merges its own; the work runs in a short-lived worker (index-compaction.worker.ts) so the
 * page does not freeze while postings are rewritten.
 *
 *   COMPACT_AFTER_SEGMENTS                       segments per part before they are merged (imports use it too)
 *   compactIndexInBackground(): Promise<number>  parts merged; one run at a time (a call meanwhile queues one more)
 */
import { z } from 'zod';
import { AppError, appErrorDataSchema } from '../../../shared/errors';

/** Segments per index part before they are merged: queries read every segment of a term's part. */
export const COMPACT_AFTER_SEGMENTS = 8;

export const compactionReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), partsMerged: z.number().int().nonnegative() }),
  z.object({ ok: z.literal(false), error: appErrorDataSchema }),
]);
export type CompactionReply = z.infer<typeof compactionReplySchema>;

let queue: Promise<unknown> = Promise.resolve();
let next: Promise<number> | null = null;

/**
 * One run at a time. A call while one runs gets one more run after it, shared by every call until it starts: a
 * pull that goes on after the first run started adds segments that run did not see.
 */
export function compactIndexInBackground(): Promise<number> {
  if (next === null) {
    const run = queue.catch(() => undefined).then(() => {
      next = null;
      return compactInWorker();
    });
    next = run;
    queue = run;
  }
  return next;
}

function compactInWorker(): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const worker = new Worker(new URL('./index-compaction.worker.ts', import.meta.url), { type: 'module', name: 'cogzy-index-compaction' });
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      worker.terminate();
      const reply = compactionReplySchema.safeParse(event.data);
      if (!reply.success) reject(new AppError('INTERNAL', { detail: `bad message from the compaction worker: ${reply.error.message}` }));
      else if (reply.data.ok) resolve(reply.data.partsMerged);
      else reject(AppError.fromData(reply.data.error));
    });
    worker.addEventListener('error', (event) => {
      worker.terminate();
      reject(new AppError('INTERNAL', { detail: `compaction worker failed: ${event.message}` }));
    });
  });
}
