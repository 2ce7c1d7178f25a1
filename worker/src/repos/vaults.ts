/** Vaults: one per user, provisioned at signup (or on first use for accounts that predate that). */
import { z } from 'zod';
import { parseRow } from './rows';

const vaultRowSchema = z.object({ bytes_used: z.number().int().nonnegative(), meta_bytes: z.number().int().nonnegative() });

/** What callers read from the vault row; the head and the wrapped key are read by vault-commits.ts. */
export interface Vault {
  /** What the quota counts: the manifest's segments plus the commit metadata kept for the vault (S10, S20). */
  bytesUsed: number;
}

/** Creates the vault row if this account has none yet (idempotent, safe under concurrency); a statement for a batch. */
export function createVaultIfAbsent(db: D1Database, userId: string, now: number): D1PreparedStatement {
  return db.prepare('INSERT INTO vaults (user_id, created_at) VALUES (?1, ?2) ON CONFLICT (user_id) DO NOTHING').bind(userId, now);
}

/** The user's vault, creating the row if this account has none yet. */
export async function ensureVault(db: D1Database, userId: string, now: number): Promise<Vault> {
  const [, select] = await db.batch([
    createVaultIfAbsent(db, userId, now),
    db.prepare('SELECT bytes_used, meta_bytes FROM vaults WHERE user_id = ?1').bind(userId),
  ]);
  const row = parseRow(vaultRowSchema, select?.results[0], 'vaults');
  return { bytesUsed: row.bytes_used + row.meta_bytes };
}
