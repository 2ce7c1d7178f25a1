/** Users: accounts with their password hash and tier. Signup provisions the vault and today's usage row with them. */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { PasswordHash } from '../auth/crypto';
import type { AuthUser, Tier } from '../env';
import { tierSchema } from '../tiers';
import { parseRow } from './rows';

const userRowSchema = z.object({
  id: z.string(),
  email: z.string(),
  tier: tierSchema,
  password_hash: z.string(),
  password_salt: z.string(),
  password_iterations: z.number().int().positive(),
  created_at: z.number(),
  tier_updated_at: z.number(),
});

export interface UserRecord extends AuthUser {
  password: PasswordHash;
  createdAt: number;
  tierUpdatedAt: number;
}

function toUser(row: unknown): UserRecord {
  const r = parseRow(userRowSchema, row, 'users');
  return {
    id: r.id,
    email: r.email,
    tier: r.tier,
    password: { hash: r.password_hash, salt: r.password_salt, iterations: r.password_iterations },
    createdAt: r.created_at,
    tierUpdatedAt: r.tier_updated_at,
  };
}

/** Emails are compared and stored trimmed and lower-cased. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export async function findUserByEmail(db: D1Database, email: string): Promise<UserRecord | null> {
  const row = await db.prepare('SELECT * FROM users WHERE email = ?').bind(normaliseEmail(email)).first();
  return row === null ? null : toUser(row);
}

export async function findUserById(db: D1Database, userId: string): Promise<UserRecord | null> {
  const row = await db.prepare('SELECT * FROM users WHERE id = ?').bind(userId).first();
  return row === null ? null : toUser(row);
}

export interface NewUser {
  id: string;
  email: string;
  password: PasswordHash;
  now: number;
  /** Today's UTC day key: the usage row starts at zero so the first metered message is an update. */
  day: string;
}

/** Creates the user, the vault and today's usage row in one D1 batch (all or nothing). EMAIL_TAKEN if it exists. */
export async function createUserWithVault(db: D1Database, user: NewUser): Promise<UserRecord> {
  const email = normaliseEmail(user.email);
  try {
    await db.batch([
      db
        .prepare(
          `INSERT INTO users (id, email, password_hash, password_salt, password_iterations, tier, created_at, tier_updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, 'free', ?6, 0)`,
        )
        .bind(user.id, email, user.password.hash, user.password.salt, user.password.iterations, user.now),
      db.prepare('INSERT INTO vaults (user_id, created_at, bytes_used) VALUES (?1, ?2, 0)').bind(user.id, user.now),
      db.prepare('INSERT INTO daily_usage (user_id, day, messages) VALUES (?1, ?2, 0)').bind(user.id, user.day),
    ]);
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email/.test(error.message)) throw new AppError('EMAIL_TAKEN');
    throw error;
  }
  return { id: user.id, email, tier: 'free', password: user.password, createdAt: user.now, tierUpdatedAt: 0 };
}

export async function updatePassword(db: D1Database, userId: string, password: PasswordHash): Promise<void> {
  await db
    .prepare('UPDATE users SET password_hash = ?2, password_salt = ?3, password_iterations = ?4 WHERE id = ?1')
    .bind(userId, password.hash, password.salt, password.iterations)
    .run();
}

/** Sets the tier now (operator action). Returns false when there is no such user. */
export async function setTier(db: D1Database, userId: string, tier: Tier, now: number): Promise<boolean> {
  const result = await db.prepare('UPDATE users SET tier = ?2, tier_updated_at = ?3 WHERE id = ?1').bind(userId, tier, now).run();
  return result.meta.changes > 0;
}

/**
 * Removes the user's rows: sessions, usage, vault, throttling records, then the user (tables of other modules that
 * reference users(id) go with it through ON DELETE CASCADE). One batch, so a failure leaves the account intact.
 */
export async function deleteUserRows(db: D1Database, user: { id: string; email: string }): Promise<void> {
  await db.batch([
    db.prepare('DELETE FROM sessions WHERE user_id = ?').bind(user.id),
    db.prepare('DELETE FROM daily_usage WHERE user_id = ?').bind(user.id),
    db.prepare('DELETE FROM vaults WHERE user_id = ?').bind(user.id),
    db.prepare('DELETE FROM login_attempts WHERE email = ?').bind(user.email),
    db.prepare('DELETE FROM users WHERE id = ?').bind(user.id),
  ]);
}
