/**
 * The web app's Argon2id runner (shared/argon2.ts): each hash in a short-lived worker (argon2.worker.ts), so the
 * second or so of hashing while setting up sync, unlocking, changing the passphrase or signing in leaves the page
 * responsive (its progress shows, the person can still type). Where no worker can start, the hash runs on the page's
 * thread as before.
 *
 *   useArgon2Worker(): void                      makes every Argon2id of the app run in a worker
 *   argon2InWorker(params): Promise<Uint8Array>  one hash in a worker (the runner)
 */
import { argon2idHere, setArgon2Runner, type Argon2Params } from '../../../shared/argon2';
import { AppError } from '../../../shared/errors';
import { argon2ReplySchema } from './argon2-protocol';

export function useArgon2Worker(): void {
  setArgon2Runner(argon2InWorker);
}

export function argon2InWorker(params: Argon2Params): Promise<Uint8Array<ArrayBuffer>> {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./argon2.worker.ts', import.meta.url), { type: 'module', name: 'cogzy-argon2' });
  } catch {
    // No module workers here (or refused): the page's thread, as before.
    return argon2idHere(params);
  }
  return new Promise<Uint8Array<ArrayBuffer>>((resolve, reject) => {
    worker.addEventListener('message', (event: MessageEvent<unknown>) => {
      worker.terminate();
      const reply = argon2ReplySchema.safeParse(event.data);
      if (!reply.success) reject(new AppError('INTERNAL', { detail: `bad message from the argon2 worker: ${reply.error.message}` }));
      else if (reply.data.ok) resolve(new Uint8Array(reply.data.bytes));
      else reject(AppError.fromData(reply.data.error));
    });
    // The worker's script could not load or run: hash here rather than fail the person's sign-in.
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      worker.terminate();
      argon2idHere(params).then(resolve, reject);
    });
    worker.postMessage(params);
  });
}
