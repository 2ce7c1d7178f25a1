// shared/argon2.ts: every Argon2id of the clients goes through the runner the host sets (the web app's is a worker,
// tested in tests/e2e/sync.spec.ts), with the same result as hashing on the calling thread.
import { afterEach, describe, expect, it } from 'vitest';
import { argon2idHere, setArgon2Runner, type Argon2Params } from '../../shared/argon2';
import { deriveLoginSecret, toBase64Url, type LoginKdf } from '../../shared/auth/login-secret';
import { createVault, DEFAULT_ARGON2, unlockWithPassphrase } from '../../shared/sync/keys';
import { calibrateKdf } from '../../web/src/sync/kdf';

const kdf: LoginKdf = { algorithm: 'argon2id', version: 1, salt: toBase64Url(new Uint8Array(16).fill(3)), memoryKiB: 19_456, iterations: 2, parallelism: 1 };

describe('the Argon2id runner', () => {
  afterEach(() => setArgon2Runner(null));

  it('hashes the login secret, the passphrase key and the calibration probe, with the same results as this thread', async () => {
    const plain = await deriveLoginSecret('a password of some length', kdf);
    const seen: Argon2Params[] = [];
    setArgon2Runner((params) => {
      seen.push(params);
      return argon2idHere(params);
    });
    expect(await deriveLoginSecret('a password of some length', kdf)).toBe(plain);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ memoryKiB: 19_456, iterations: 2, parallelism: 1, hashLength: 32, secret: 'cogzy-vault login secret v1' });

    const random = { bytes: (n: number) => crypto.getRandomValues(new Uint8Array(n)), fraction: () => Math.random() };
    // The floor the protocol accepts (64 MiB, 3 passes): about a second here.
    const vault = await createVault(crypto.subtle, random, 'passphrase words here', DEFAULT_ARGON2);
    expect(seen.length).toBe(2);
    expect(seen[1]).toMatchObject({ memoryKiB: 65_536, iterations: 3, hashLength: 32 });
    setArgon2Runner(null);
    expect(await unlockWithPassphrase(crypto.subtle, vault.wrappedKey, 'passphrase words here')).toEqual(vault.vaultKey);

    setArgon2Runner((params) => {
      seen.push(params);
      return argon2idHere(params);
    });
    await calibrateKdf();
    expect(seen.at(-1)).toMatchObject({ iterations: 1, memoryKiB: DEFAULT_ARGON2.name === 'Argon2id' ? DEFAULT_ARGON2.memoryKiB : 0 });
  });

  it('a failing runner fails the derivation (nothing falls back silently to a weaker hash)', async () => {
    setArgon2Runner(() => Promise.reject(new Error('runner broke')));
    await expect(deriveLoginSecret('a password of some length', kdf)).rejects.toThrow('runner broke');
  });
});
