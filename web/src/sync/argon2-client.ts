/**
 * The web app's Argon2id runner (shared/argon2.ts): hashes in a worker (argon2.worker.ts), so the second or so of
 * hashing while setting up sync, unlocking, changing the passphrase or signing in leaves the page responsive (its
 * progress shows, the person can still type). A worker is kept for KEEP_WORKER_MS after a hash, so the KDF's
 * calibration and the hash that follows it run on a worker already started (the calibration times one pass: a
 * worker's start would count as hashing time and cost a pass), then terminated, which frees the 64 MiB or more the
 * hash used. Where no worker can start, the hash runs on the page's thread as before.
 *
 *   useArgon2Worker(): void                      makes every Argon2id of the app run in a worker
 *   argon2InWorker(params): Promise<Uint8Array>  one hash in a worker (the runner)
 */
import { argon2idHere, setArgon2Runner, type Argon2Params } from '../../../shared/argon2';
import { AppError } from '../../../shared/errors';
import { argon2ReplySchema } from './argon2-protocol';

const KEEP_WORKER_MS = 10_000;

export function useArgon2Worker(): void {
  setArgon2Runner(argon2InWorker);
}

let spare: Worker | null = null;
let spareTimer: ReturnType<typeof setTimeout> | undefined;

function takeWorker(): Worker {
  if (spare) {
    clearTimeout(spareTimer);
    const worker = spare;
    spare = null;
    return worker;
  }
  return new Worker(new URL('./argon2.worker.ts', import.meta.url), { type: 'module', name: 'cogzy-argon2' });
}

function keepWorker(worker: Worker): void {
  if (spare) {
    worker.terminate();
    return;
  }
  spare = worker;
  spareTimer = setTimeout(() => {
    spare?.terminate();
    spare = null;
  }, KEEP_WORKER_MS);
}

export function argon2InWorker(params: Argon2Params): Promise<Uint8Array<ArrayBuffer>> {
  let worker: Worker;
  try {
    worker = takeWorker();
  } catch {
    // No module workers here (or refused): the page's thread, as before.
    return argon2idHere(params);
  }
  return new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
    const onMessage = (event: MessageEvent<unknown>): void => {
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      const reply = argon2ReplySchema.safeParse(event.data);
      if (!reply.success) {
        worker.terminate();
        reject(new AppError('INTERNAL', { detail: `bad message from the argon2 worker: ${reply.error.message}` }));
        return;
      }
      keepWorker(worker);
      if (reply.data.ok) resolve(new Uint8Array(reply.data.bytes));
      else reject(AppError.fromData(reply.data.error));
    };
    // The worker's script could not load or run: hash here rather than fail the person's sign-in.
    const onError = (event: ErrorEvent): void => {
      event.preventDefault();
      worker.removeEventListener('message', onMessage);
      worker.removeEventListener('error', onError);
      worker.terminate();
      argon2idHere(params).then(resolve, reject);
    };
    worker.addEventListener('message', onMessage);
    worker.addEventListener('error', onError);
    worker.postMessage(params);
  });
}
