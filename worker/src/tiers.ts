/** Tier limits from wrangler.toml vars, and the UTC day that meters ask-memory messages. */
import { z } from 'zod';
import { AppError } from '../../shared/errors';
import type { Env, Tier } from './env';

export const tierSchema = z.enum(['free', 'premium']);

export interface TierLimits {
  /** Ask-memory messages per UTC day; null = unlimited. */
  dailyMessages: number | null;
  /** Bytes of verified blobs a vault may hold. */
  vaultBytes: number;
}

const limitVar = z.coerce.number().int().min(-1);

function readLimit(env: Env, name: keyof Env): number {
  const parsed = limitVar.safeParse(env[name]);
  if (!parsed.success) throw new AppError('INTERNAL', { detail: `wrangler var ${String(name)} is not an integer >= -1` });
  return parsed.data;
}

/** The limits of a tier; -1 in a var means unlimited messages. Use at vault commit time to enforce the vault size. */
export function getTierLimits(env: Env, tier: Tier): TierLimits {
  const messages = readLimit(env, tier === 'free' ? 'FREE_DAILY_MESSAGES' : 'PREMIUM_DAILY_MESSAGES');
  const bytes = readLimit(env, tier === 'free' ? 'FREE_VAULT_BYTES' : 'PREMIUM_VAULT_BYTES');
  return { dailyMessages: messages < 0 ? null : messages, vaultBytes: bytes < 0 ? Number.MAX_SAFE_INTEGER : bytes };
}

/** 'YYYY-MM-DD' of the UTC day containing `nowMs`: the key of the daily message counter. */
export function utcDay(nowMs: number): string {
  return new Date(nowMs).toISOString().slice(0, 10);
}

/** The next UTC midnight after `nowMs`, when today's counter stops applying. */
export function nextUtcMidnight(nowMs: number): Date {
  const d = new Date(nowMs);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1));
}
