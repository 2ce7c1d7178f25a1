/**
 * The login secret: what a client sends instead of the password. The client derives it with Argon2id (hash-wasm,
 * the same WASM library as the sync keys, through ../argon2.ts: in a worker in the web app) from the password and per-account parameters it asks for before signing
 * in (`POST /api/auth/login-params`); the server only ever sees the derived secret and keeps PBKDF2 over it, so a
 * leaked database costs an attacker Argon2id (64 MiB, 3 passes by default) plus PBKDF2 per guess, not PBKDF2 alone.
 *
 * Scheme v1: secret = base64url(Argon2id(password NFC-normalised as UTF-8, salt = base64url-decoded `salt`,
 * m = memoryKiB, t = iterations, p = parallelism, secret = LOGIN_SECRET_DOMAIN, 32 bytes)). The Argon2 secret input
 * is a fixed domain label, so the same password used as a sync passphrase never yields the same key.
 * Pure: inputs in, secret out; it runs the same in node and in browsers.
 */
import { argon2idBytes } from '../argon2';
import { z } from 'zod';

const LOGIN_SECRET_DOMAIN = 'cogzy-vault login secret v1';
const SECRET_BYTES = 32;

/** base64url without padding: 16 to 64 bytes of salt. */
const saltSchema = z.string().regex(/^[A-Za-z0-9_-]{22,86}$/);

/**
 * Argon2id parameters. The floors are OWASP's minimum (19 MiB, 2 passes): a client refuses anything weaker, so a
 * tampered answer cannot make its secret cheap to crack; the ceilings keep a phone from being asked the impossible.
 */
export const loginKdfSchema = z.object({
  algorithm: z.literal('argon2id'),
  version: z.literal(1),
  salt: saltSchema,
  memoryKiB: z.number().int().min(19_456).max(262_144),
  iterations: z.number().int().min(2).max(10),
  parallelism: z.number().int().min(1).max(4),
});
export type LoginKdf = z.infer<typeof loginKdfSchema>;

/** What a server issues unless configured otherwise (Bitwarden's default for its master password). */
export const LOGIN_KDF_DEFAULT_COST = { memoryKiB: 65_536, iterations: 3, parallelism: 1 } as const;

/** A derived login secret: 32 bytes, base64url without padding. */
export const loginSecretSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'not a derived login secret');

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export async function deriveLoginSecret(password: string, kdf: LoginKdf): Promise<string> {
  const params = loginKdfSchema.parse(kdf);
  const hash = await argon2idBytes({
    password: password.normalize('NFC'),
    salt: fromBase64Url(params.salt),
    secret: LOGIN_SECRET_DOMAIN,
    memoryKiB: params.memoryKiB,
    iterations: params.iterations,
    parallelism: params.parallelism,
    hashLength: SECRET_BYTES,
  });
  return toBase64Url(hash);
}
