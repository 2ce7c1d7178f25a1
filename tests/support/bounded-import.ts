/** Imports bytes in a worker thread with a capped heap: a memory budget a test can assert (see bounded-import-worker.ts). */
import { Worker } from 'node:worker_threads';
import { z } from 'zod';

const outcomeSchema = z.object({ status: z.string(), code: z.string().nullable(), active: z.number(), inactive: z.number() });
export type BoundedOutcome = z.infer<typeof outcomeSchema> | { readonly status: 'out-of-memory' };

export function importWithHeapLimit(bytes: Uint8Array, name: string, heapMb: number): Promise<BoundedOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./bounded-import-worker.mjs', import.meta.url), {
      workerData: { bytes, name },
      resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
    });
    let settled = false;
    worker.once('message', (message: unknown) => {
      settled = true;
      resolve(outcomeSchema.parse(message));
      void worker.terminate();
    });
    worker.once('error', (error: Error & { code?: string }) => {
      settled = true;
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') resolve({ status: 'out-of-memory' });
      else reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`the import worker exited with code ${code} before answering`));
    });
  });
}
