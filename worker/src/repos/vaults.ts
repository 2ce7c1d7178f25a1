/** Vaults: one per user, provisioned at signup (or on first use for accounts that predate that). */
import { z } from 'zod';
import { parseRow } from './rows';

const vaultRowSchema = z.object({
  user_id: z.string(),
  created_at: z.number(),
  bytes_used: z.number().int().nonnegative(),
  wrapped_key: z.string().nullable(),
  wrapped_key_updated_at: z.number().nullable(),
});

export interface Vault {
  userId: string;
  createdAt: number;
  bytesUsed: number;
  wrappedKey: string | null;
  wrappedKeyUpdatedAt: number | null;
}

function toVault(row: unknown): Vault {
  const r = parseRow(vaultRowSchema, row, 'vaults');
  return {
    userId: r.user_id,
    createdAt: r.created_at,
    bytesUsed: r.bytes_used,
    wrappedKey: r.wrapped_key,
    wrappedKeyUpdatedAt: r.wrapped_key_updated_at,
  };
}

/** The user's vault, creating the row if this account has none yet (idempotent, safe under concurrency). */
export async function ensureVault(db: D1Database, userId: string, now: number): Promise<Vault> {
  const [, select] = await db.batch([
    db.prepare('INSERT INTO vaults (user_id, created_at, bytes_used) VALUES (?1, ?2, 0) ON CONFLICT (user_id) DO NOTHING').bind(userId, now),
    db.prepare('SELECT * FROM vaults WHERE user_id = ?1').bind(userId),
  ]);
  return toVault(select?.results[0]);
}

/**
 * Atomically adds `deltaBytes` (negative to release) to the vault's usage if the result stays within `limitBytes`.
 * Returns the new usage, or null when it would exceed the limit (the caller answers VAULT_FULL). No vault row: null.
 */
export async function addVaultBytes(db: D1Database, userId: string, deltaBytes: number, limitBytes: number): Promise<number | null> {
  const row = await db
    .prepare(
      `UPDATE vaults SET bytes_used = max(0, bytes_used + ?2)
       WHERE user_id = ?1 AND (?2 <= 0 OR bytes_used + ?2 <= ?3)
       RETURNING bytes_used`,
    )
    .bind(userId, deltaBytes, limitBytes)
    .first();
  return row === null ? null : parseRow(z.object({ bytes_used: z.number() }), row, 'vaults').bytes_used;
}
