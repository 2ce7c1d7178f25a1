/**
 * Vault keys (C2, C3). A random 256-bit vault key encrypts everything; it is stored on the server only wrapped:
 * once by a key derived from the passphrase (Argon2id, PBKDF2 where WASM is unavailable) and once by the recovery
 * code shown at setup. Changing the passphrase re-wraps the same key (no data is rewritten). Sub-keys for segment
 * encryption and for the keyed ids the server sees come from the vault key by HKDF, bound to the vault id.
 */
import { argon2idBytes } from '../argon2';
import { AppError } from '../errors';
import { concatBytes, fromBase64, toBase64, utf8 } from './bytes';
import { toHex } from './hash';
import type { Cipher, Random } from './ports';
import { wrappedKeySchema, type KeyKdf, type RecoveryWrap, type WrappedKey } from './protocol';

/** Bitwarden's defaults; the floor is 64 MiB and 3 passes. */
export const DEFAULT_ARGON2: KeyKdf = { name: 'Argon2id', memoryKiB: 65_536, iterations: 3, parallelism: 1 };
/** OWASP 2023 for PBKDF2-HMAC-SHA256; only where WASM cannot run. */
export const FALLBACK_PBKDF2: KeyKdf = { name: 'PBKDF2', hash: 'SHA-256', iterations: 600_000 };

const VAULT_KEY_BYTES = 32;
const SALT_BYTES = 16;
const RECOVERY_BYTES = 20;
const WRAP_AAD = utf8('cogzy-vault-key-wrap-v1');
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** The keys a device holds once unlocked. */
export interface SyncKeys {
  vaultId: string;
  segmentKey: CryptoKey;
  idKey: CryptoKey;
  /** First 8 bytes of a keyed hash: written in each segment header to tell "another key" from "tampered" (C1). */
  keyId: Uint8Array<ArrayBuffer>;
}

export interface NewVault {
  vaultKey: Uint8Array<ArrayBuffer>;
  wrappedKey: WrappedKey;
  /** Shown to the person once; never stored. */
  recoveryCode: string;
}

async function kek(cipher: Cipher, secret: Uint8Array<ArrayBuffer>, salt: Uint8Array<ArrayBuffer>, kdf: KeyKdf): Promise<CryptoKey> {
  let bits: Uint8Array<ArrayBuffer>;
  if (kdf.name === 'Argon2id') {
    bits = await argon2idBytes({ password: secret, salt, parallelism: kdf.parallelism, iterations: kdf.iterations, memoryKiB: kdf.memoryKiB, hashLength: 32 });
  } else {
    const base = await cipher.importKey('raw', secret, 'PBKDF2', false, ['deriveBits']);
    bits = new Uint8Array(await cipher.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: kdf.iterations }, base, 256));
  }
  return cipher.importKey('raw', bits, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

async function recoveryKek(cipher: Cipher, code: string, salt: Uint8Array<ArrayBuffer>): Promise<CryptoKey> {
  const base = await cipher.importKey('raw', parseRecoveryCode(code), 'HKDF', false, ['deriveKey']);
  return cipher.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('cogzy recovery v1') }, base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
}

async function seal(cipher: Cipher, random: Random, key: CryptoKey, vaultKey: Uint8Array<ArrayBuffer>) {
  const iv = random.bytes(12);
  const ciphertext = new Uint8Array(await cipher.encrypt({ name: 'AES-GCM', iv, additionalData: WRAP_AAD }, key, vaultKey));
  return { iv: toBase64(iv), ciphertext: toBase64(ciphertext) };
}

async function open(cipher: Cipher, key: CryptoKey, iv: string, ciphertext: string, wrong: 'CRYPTO_WRONG_PASSPHRASE' | 'CRYPTO_WRONG_RECOVERY_CODE') {
  try {
    return new Uint8Array(await cipher.decrypt({ name: 'AES-GCM', iv: fromBase64(iv), additionalData: WRAP_AAD }, key, fromBase64(ciphertext)));
  } catch {
    // GCM authentication failed: the secret derived another key.
    throw new AppError(wrong);
  }
}

/** 160 random bits as 32 Crockford base32 characters in groups of four. */
export function generateRecoveryCode(random: Random): string {
  const bytes = random.bytes(RECOVERY_BYTES);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += CROCKFORD[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out.match(/.{4}/g)!.join('-');
}

/** Reads a recovery code loosely (case, spaces, dashes, and the look-alikes Crockford allows). */
export function parseRecoveryCode(code: string): Uint8Array<ArrayBuffer> {
  const clean = code.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (clean.length !== 32 || [...clean].some((c) => !CROCKFORD.includes(c))) throw new AppError('CRYPTO_WRONG_RECOVERY_CODE');
  const out = new Uint8Array(RECOVERY_BYTES);
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of clean) {
    value = ((value << 5) | CROCKFORD.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index] = (value >>> (bits - 8)) & 0xff;
      index += 1;
      bits -= 8;
    }
  }
  return out;
}

async function wrapForPassphrase(cipher: Cipher, random: Random, vaultKey: Uint8Array<ArrayBuffer>, passphrase: string, kdf: KeyKdf) {
  const salt = random.bytes(SALT_BYTES);
  const sealed = await seal(cipher, random, await kek(cipher, utf8(passphrase.normalize('NFC')), salt, kdf), vaultKey);
  return { kdf, salt: toBase64(salt), ...sealed };
}

/** Sets up sync for a vault: a new random key, wrapped by the passphrase and by a new recovery code. */
export async function createVault(cipher: Cipher, random: Random, passphrase: string, kdf: KeyKdf = DEFAULT_ARGON2): Promise<NewVault> {
  const vaultKey = random.bytes(VAULT_KEY_BYTES);
  const recoveryCode = generateRecoveryCode(random);
  const recoverySalt = random.bytes(SALT_BYTES);
  const recovery: RecoveryWrap = {
    kdf: { name: 'HKDF', hash: 'SHA-256' },
    salt: toBase64(recoverySalt),
    ...(await seal(cipher, random, await recoveryKek(cipher, recoveryCode, recoverySalt), vaultKey)),
  };
  const wrappedKey = wrappedKeySchema.parse({
    version: 1,
    vaultId: toBase64(random.bytes(16)),
    ...(await wrapForPassphrase(cipher, random, vaultKey, passphrase, kdf)),
    recovery,
  });
  return { vaultKey, wrappedKey, recoveryCode };
}

export async function unlockWithPassphrase(cipher: Cipher, wrapped: WrappedKey, passphrase: string): Promise<Uint8Array<ArrayBuffer>> {
  const key = await kek(cipher, utf8(passphrase.normalize('NFC')), fromBase64(wrapped.salt), wrapped.kdf);
  return open(cipher, key, wrapped.iv, wrapped.ciphertext, 'CRYPTO_WRONG_PASSPHRASE');
}

export async function unlockWithRecoveryCode(cipher: Cipher, wrapped: WrappedKey, code: string): Promise<Uint8Array<ArrayBuffer>> {
  if (wrapped.recovery === undefined) throw new AppError('CRYPTO_WRONG_RECOVERY_CODE', { detail: 'this vault key has no recovery wrapper' });
  const key = await recoveryKek(cipher, code, fromBase64(wrapped.recovery.salt));
  return open(cipher, key, wrapped.recovery.iv, wrapped.recovery.ciphertext, 'CRYPTO_WRONG_RECOVERY_CODE');
}

/** Passphrase change (C3): the same vault key under a new passphrase; the recovery wrapper and every segment stay. */
export async function rewrapWithPassphrase(
  cipher: Cipher,
  random: Random,
  wrapped: WrappedKey,
  vaultKey: Uint8Array<ArrayBuffer>,
  passphrase: string,
  kdf: KeyKdf = DEFAULT_ARGON2,
): Promise<WrappedKey> {
  return wrappedKeySchema.parse({ ...wrapped, ...(await wrapForPassphrase(cipher, random, vaultKey, passphrase, kdf)) });
}

/** HKDF sub-keys of the vault key (C2): one for segments, one for the keyed ids the server stores. */
export async function deriveSyncKeys(cipher: Cipher, vaultKey: Uint8Array<ArrayBuffer>, wrapped: Pick<WrappedKey, 'vaultId'>): Promise<SyncKeys> {
  const { vaultId } = wrapped;
  if (vaultId === undefined) throw new AppError('SYNC_WRONG_VAULT_KEY', { detail: 'the stored vault key has no vault id' });
  const base = await cipher.importKey('raw', vaultKey, 'HKDF', false, ['deriveKey']);
  const salt = concatBytes(utf8('cogzy-vault:'), fromBase64(vaultId));
  const segmentKey = await cipher.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt, info: utf8('cogzy segment v1') }, base, { name: 'AES-GCM', length: 256 }, false, [
    'encrypt',
    'decrypt',
  ]);
  const idKey = await cipher.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt, info: utf8('cogzy keyed id v1') },
    base,
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    false,
    ['sign'],
  );
  const keyId = new Uint8Array(await cipher.sign('HMAC', idKey, utf8('cogzy key id'))).slice(0, 8);
  return { vaultId, segmentKey, idKey, keyId };
}

/** A keyed hash of an id (HMAC-SHA256, hex): what the server may store instead of a node or content id (C13). */
export async function keyedId(cipher: Cipher, keys: SyncKeys, id: string): Promise<string> {
  return toHex(new Uint8Array(await cipher.sign('HMAC', keys.idKey, utf8(`id:${id}`))));
}
