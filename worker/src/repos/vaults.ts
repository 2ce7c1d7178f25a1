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

/** Creates the vault row if this account has none yet (idempotent, safe under concurrency); a statement for a batch. */
export function createVaultIfAbsent(db: D1Database, userId: string, now: number): D1PreparedStatement {
  return db.prepare('INSERT INTO vaults (user_id, created_at) VALUES (?1, ?2) ON CONFLICT (user_id) DO NOTHING').bind(userId, now);
}

/** The user's vault, creating the row if this account has none yet. */
export async function ensureVault(db: D1Database, userId: string, now: number): Promise<Vault> {
  const [, select] = await db.batch([
    createVaultIfAbsent(db, userId, now),
    db.prepare('SELECT * FROM vaults WHERE user_id = ?1').bind(userId),
  ]);
  return toVault(select?.results[0]);
}
