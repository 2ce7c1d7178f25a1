// The login-secret derivation (shared/auth/login-secret.ts) as the app and the node clients run it.
import { argon2id } from 'hash-wasm';
import { describe, expect, it } from 'vitest';
import { deriveLoginSecret, fromBase64Url, loginKdfSchema, loginSecretSchema, toBase64Url, type LoginKdf } from '../../shared/auth/login-secret';

const kdf: LoginKdf = { algorithm: 'argon2id', version: 1, salt: toBase64Url(new Uint8Array(16).fill(7)), memoryKiB: 19_456, iterations: 2, parallelism: 1 };

describe('deriveLoginSecret', () => {
  it('is Argon2id of the password with the issued salt and cost, keyed by the login domain, as 43 base64url characters', async () => {
    const secret = await deriveLoginSecret('correct horse battery staple', kdf);
    expect(loginSecretSchema.safeParse(secret).success).toBe(true);
    const expected = await argon2id({
      password: 'correct horse battery staple',
      salt: fromBase64Url(kdf.salt),
      secret: 'cogzy-vault login secret v1',
      memorySize: 19_456,
      iterations: 2,
      parallelism: 1,
      hashLength: 32,
      outputType: 'binary',
    });
    expect(secret).toBe(toBase64Url(expected));
    // Without the domain key it would be a plain Argon2id hash of the password: the two must differ.
    const unkeyed = await argon2id({ password: 'correct horse battery staple', salt: fromBase64Url(kdf.salt), memorySize: 19_456, iterations: 2, parallelism: 1, hashLength: 32, outputType: 'binary' });
    expect(secret).not.toBe(toBase64Url(unkeyed));
  });

  it('depends on the salt and the cost, and treats the composed and decomposed forms of a character alike', async () => {
    const base = await deriveLoginSecret('pässword-long', kdf);
    expect(await deriveLoginSecret('pa\u0308ssword-long', kdf)).toBe(base);
    expect(await deriveLoginSecret('pässword-long', { ...kdf, salt: toBase64Url(new Uint8Array(16).fill(8)) })).not.toBe(base);
    expect(await deriveLoginSecret('pässword-long', { ...kdf, iterations: 3 })).not.toBe(base);
  });

  it('refuses parameters weaker than OWASP\u2019s minimum (a tampered answer cannot make the secret cheap)', async () => {
    expect(loginKdfSchema.safeParse({ ...kdf, memoryKiB: 1024 }).success).toBe(false);
    expect(loginKdfSchema.safeParse({ ...kdf, iterations: 1 }).success).toBe(false);
    await expect(deriveLoginSecret('whatever password', { ...kdf, memoryKiB: 1024 })).rejects.toThrow();
  });
});
