/** Users: accounts with their password hash and tier. Signup provisions the vault and today's usage row with them. */
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { loginKdfSchema, type LoginKdf } from '../../../shared/auth/login-secret';
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
  login_kdf: z.string().nullable(),
});

function parseLoginKdf(text: string): LoginKdf {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return parseRow(loginKdfSchema, json, 'users.login_kdf');
}

export interface UserRecord extends AuthUser {
  /** PBKDF2 over the login secret, or over the password itself while `loginKdf` is null (an account from before). */
  password: PasswordHash;
  loginKdf: LoginKdf | null;
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
    loginKdf: r.login_kdf === null ? null : parseLoginKdf(r.login_kdf),
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
  /** PBKDF2 over the login secret derived with `loginKdf`. */
  password: PasswordHash;
  loginKdf: LoginKdf;
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
          `INSERT INTO users (id, email, password_hash, password_salt, password_iterations, login_kdf, tier, created_at, tier_updated_at)
           VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'free', ?7, 0)`,
        )
        .bind(user.id, email, user.password.hash, user.password.salt, user.password.iterations, JSON.stringify(user.loginKdf), user.now),
      db.prepare('INSERT INTO vaults (user_id, created_at, bytes_used) VALUES (?1, ?2, 0)').bind(user.id, user.now),
      db.prepare('INSERT INTO daily_usage (user_id, day, messages) VALUES (?1, ?2, 0)').bind(user.id, user.day),
    ]);
  } catch (error) {
    if (error instanceof Error && /UNIQUE constraint failed: users\.email/.test(error.message)) throw new AppError('EMAIL_TAKEN');
    throw error;
  }
  return { id: user.id, email, tier: 'free', password: user.password, loginKdf: user.loginKdf, createdAt: user.now, tierUpdatedAt: 0 };
}

/** Stores a new hash over a login secret derived with `loginKdf` (a password change, or a migration at login). */
export async function updatePassword(db: D1Database, userId: string, password: PasswordHash, loginKdf: LoginKdf): Promise<void> {
  await db
    .prepare('UPDATE users SET password_hash = ?2, password_salt = ?3, password_iterations = ?4, login_kdf = ?5 WHERE id = ?1')
    .bind(userId, password.hash, password.salt, password.iterations, JSON.stringify(loginKdf))
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
