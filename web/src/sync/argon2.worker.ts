/**
 * Argon2id away from the page (argon2-client.ts starts it, and terminates it a few seconds after its last hash):
 * each message is one hash, answered with its bytes or the error as data.
 */
import { argon2idHere, argon2ParamsSchema } from '../../../shared/argon2';
import { AppError, toAppError } from '../../../shared/errors';
import { argon2ReplySchema, type Argon2Reply } from './argon2-protocol';

const scope = globalThis as unknown as DedicatedWorkerGlobalScope;

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  const params = argon2ParamsSchema.safeParse(event.data);
  const work = params.success ? argon2idHere(params.data) : Promise.reject(new AppError('BAD_REQUEST', { detail: `argon2 worker: ${params.error.message}` }));
  void work
    .then((bytes): Argon2Reply => ({ ok: true, bytes }))
    .catch((error: unknown): Argon2Reply => ({ ok: false, error: toAppError(error).toData() }))
    .then((reply) => scope.postMessage(argon2ReplySchema.parse(reply), reply.ok ? [reply.bytes.buffer] : []));
});
