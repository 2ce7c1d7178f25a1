/**
 * The Argon2id parameters the server issues for login secrets (shared/auth/login-secret.ts). The salt is an HMAC of
 * the email under LOGIN_KDF_SECRET, so an address without an account gets the same answer every time, shaped exactly
 * like a real one: asking for parameters does not tell whether an account exists. Accounts store the parameters they
 * were created (or migrated) with, so changing the cost later does not lock anyone out.
 */
import { AppError } from '../../../shared/errors';
import { LOGIN_KDF_DEFAULT_COST, loginKdfSchema, toBase64Url, type LoginKdf } from '../../../shared/auth/login-secret';
import type { Env } from '../env';

const SALT_BYTES = 16;
const encoder = new TextEncoder();

async function hmac(env: Env, message: string): Promise<Uint8Array> {
  if (env.LOGIN_KDF_SECRET === undefined || env.LOGIN_KDF_SECRET.length < 16) {
    throw new AppError('INTERNAL', { detail: 'LOGIN_KDF_SECRET is not set (wrangler secret put LOGIN_KDF_SECRET)' });
  }
  const key = await crypto.subtle.importKey('raw', encoder.encode(env.LOGIN_KDF_SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(message)));
}

/** The parameters issued for `email` (already normalised) today: the configured cost and the email's stable salt. */
export async function issuedLoginKdf(env: Env, email: string): Promise<LoginKdf> {
  const salt = (await hmac(env, `salt:${email}`)).slice(0, SALT_BYTES);
  return loginKdfSchema.parse({
    algorithm: 'argon2id',
    version: 1,
    salt: toBase64Url(salt),
    memoryKiB: Number(env.LOGIN_KDF_MEMORY_KIB) || LOGIN_KDF_DEFAULT_COST.memoryKiB,
    iterations: Number(env.LOGIN_KDF_ITERATIONS) || LOGIN_KDF_DEFAULT_COST.iterations,
    parallelism: LOGIN_KDF_DEFAULT_COST.parallelism,
  });
}

/**
 * What an address without an account answers for `legacyPassword`: a stable coin flip per email, so "asks for the
 * password too" does not single out the accounts that predate login secrets.
 */
export async function madeUpLegacyFlag(env: Env, email: string): Promise<boolean> {
  return ((await hmac(env, `legacy:${email}`))[0] ?? 0) % 2 === 1;
}

export function sameLoginKdf(a: LoginKdf, b: LoginKdf): boolean {
  return (
    a.algorithm === b.algorithm &&
    a.version === b.version &&
    a.salt === b.salt &&
    a.memoryKiB === b.memoryKiB &&
    a.iterations === b.iterations &&
    a.parallelism === b.parallelism
  );
}
