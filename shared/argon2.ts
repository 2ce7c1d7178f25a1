/**
 * Argon2id for the login secret (auth/login-secret.ts) and the passphrase key (sync/keys.ts), on a runner the host
 * chooses. By default hash-wasm on the calling thread (the command-line device, tests). The web app hands it to a
 * worker (web/src/sync/argon2-client.ts): a second of hashing at 64 MiB on the page's thread froze the page while
 * setting up sync, unlocking or signing in (bench/sync-browser.bench.ts: a task of 865–982 ms).
 *
 *   argon2idBytes(params: Argon2Params): Promise<Uint8Array>    // through the runner in use
 *   argon2idHere(params): Promise<Uint8Array>                   // on this thread (what a worker runs)
 *   setArgon2Runner(runner | null)                              // null: back to this thread
 */
import { argon2id } from 'hash-wasm';
import { z } from 'zod';

export const argon2ParamsSchema = z.object({
  /** A string is hashed as its UTF-8 bytes. */
  password: z.union([z.string(), z.instanceof(Uint8Array)]),
  salt: z.instanceof(Uint8Array),
  /** Argon2's optional secret input (a domain label). */
  secret: z.string().optional(),
  iterations: z.number().int().min(1).max(64),
  memoryKiB: z.number().int().min(8).max(1_048_576),
  parallelism: z.number().int().min(1).max(16),
  hashLength: z.number().int().min(4).max(1024),
});
export type Argon2Params = z.infer<typeof argon2ParamsSchema>;

export type Argon2Runner = (params: Argon2Params) => Promise<Uint8Array<ArrayBuffer>>;

export async function argon2idHere(params: Argon2Params): Promise<Uint8Array<ArrayBuffer>> {
  const out = await argon2id({
    password: params.password,
    salt: params.salt,
    ...(params.secret !== undefined ? { secret: params.secret } : {}),
    iterations: params.iterations,
    memorySize: params.memoryKiB,
    parallelism: params.parallelism,
    hashLength: params.hashLength,
    outputType: 'binary',
  });
  return new Uint8Array(out);
}

let runner: Argon2Runner = argon2idHere;

export function setArgon2Runner(next: Argon2Runner | null): void {
  runner = next ?? argon2idHere;
}

export function argon2idBytes(params: Argon2Params): Promise<Uint8Array<ArrayBuffer>> {
  return runner(params);
}
