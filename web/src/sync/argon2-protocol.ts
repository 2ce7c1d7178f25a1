/** What the Argon2id worker (argon2.worker.ts) answers argon2-client.ts: the hash, or the error as data. */
import { z } from 'zod';
import { appErrorDataSchema } from '../../../shared/errors';

export const argon2ReplySchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), bytes: z.instanceof(Uint8Array) }),
  z.object({ ok: z.literal(false), error: appErrorDataSchema }),
]);
export type Argon2Reply = z.infer<typeof argon2ReplySchema>;
