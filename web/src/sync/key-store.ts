/**
 * This device's unlocked vault keys (C22). Threat model, and why this shape:
 * - What is stored: only the two HKDF sub-keys the engine uses (segment encryption, keyed ids), as non-extractable
 *   WebCrypto keys, plus the vault id, the key id and the account they belong to, in the vault's own IndexedDB
 *   (`syncState` row `sync.keys`). The passphrase, the recovery code and the raw vault key are never stored: they
 *   live in memory only while setting up or unlocking. A passphrase change unwraps the key again from the server's
 *   copy, so nothing here needs the raw key.
 * - Why store anything: a person unlocks a device once, not on every visit (sync runs in the background).
 * - What it protects against: script running later in this origin (an XSS, a malicious extension page) can use the
 *   keys while it runs but cannot read them out (`extractable: false`); the server never sees them. It does not
 *   protect against someone who can read this browser profile's files (the key material is in the IndexedDB
 *   files) or unlock this device's account: the local vault itself is plaintext there anyway.
 * - Locking (or signing out) deletes the row; the next sync needs the passphrase or recovery code again.
 *
 *   loadDeviceKeys(db): Promise<DeviceKeys | null>, saveDeviceKeys(db, keys), forgetDeviceKeys(db)
 */
import { z } from 'zod';
import type { SyncKeys } from '../../../shared/sync/keys';
import { withStorageErrors, type VaultDatabase } from '../db/database';

const KEYS_ROW = 'sync.keys';

export interface DeviceKeys {
  /** The account whose vault these keys open. */
  userId: string;
  keys: SyncKeys;
  unlockedAt: number;
}

const cryptoKeySchema = z.custom<CryptoKey>((value) => typeof CryptoKey !== 'undefined' && value instanceof CryptoKey && !value.extractable, 'a non-extractable CryptoKey');

const storedSchema = z.object({
  version: z.literal(1),
  userId: z.string().min(1),
  vaultId: z.string().min(1),
  segmentKey: cryptoKeySchema,
  idKey: cryptoKeySchema,
  keyId: z.instanceof(Uint8Array),
  unlockedAt: z.number(),
});

export async function loadDeviceKeys(db: VaultDatabase): Promise<DeviceKeys | null> {
  const row = await withStorageErrors(() => db.syncState.get(KEYS_ROW));
  if (row === undefined) return null;
  const parsed = storedSchema.safeParse(row.value);
  // Unreadable (another browser version's format): as if locked; unlocking writes a good row again.
  if (!parsed.success) return null;
  const { userId, vaultId, segmentKey, idKey, keyId, unlockedAt } = parsed.data;
  return { userId, unlockedAt, keys: { vaultId, segmentKey, idKey, keyId: new Uint8Array(keyId) } };
}

export async function saveDeviceKeys(db: VaultDatabase, device: DeviceKeys): Promise<void> {
  const { vaultId, segmentKey, idKey, keyId } = device.keys;
  if (segmentKey.extractable || idKey.extractable) throw new Error('vault sub-keys must be non-extractable');
  const value: z.input<typeof storedSchema> = { version: 1, userId: device.userId, vaultId, segmentKey, idKey, keyId, unlockedAt: device.unlockedAt };
  await withStorageErrors(() => db.syncState.put({ key: KEYS_ROW, value }));
}

export async function forgetDeviceKeys(db: VaultDatabase): Promise<void> {
  await withStorageErrors(() => db.syncState.delete(KEYS_ROW));
}
