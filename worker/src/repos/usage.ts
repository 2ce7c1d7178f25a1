/** Daily ask-memory message counters, one row per user per UTC day. */
import { z } from 'zod';
import { parseRow } from './rows';

const messagesRowSchema = z.object({ messages: z.number().int().nonnegative() });

export async function getMessagesUsed(db: D1Database, userId: string, day: string): Promise<number> {
  const row = await db.prepare('SELECT messages FROM daily_usage WHERE user_id = ?1 AND day = ?2').bind(userId, day).first();
  return row === null ? 0 : parseRow(messagesRowSchema, row, 'daily_usage').messages;
}

/**
 * Counts one message for `day` if the count stays within `limit` (null = unlimited), in ONE statement: the upsert's
 * WHERE makes the check and the increment a single atomic step, so concurrent requests can never overshoot.
 * Returns the new count, or null when the limit was already reached.
 */
export async function consumeMessage(db: D1Database, userId: string, day: string, limit: number | null): Promise<number | null> {
  if (limit !== null && limit <= 0) return null;
  const row = await db
    .prepare(
      `INSERT INTO daily_usage (user_id, day, messages) VALUES (?1, ?2, 1)
       ON CONFLICT (user_id, day) DO UPDATE SET messages = messages + 1
       WHERE ?3 IS NULL OR daily_usage.messages < ?3
       RETURNING messages`,
    )
    .bind(userId, day, limit)
    .first();
  return row === null ? null : parseRow(messagesRowSchema, row, 'daily_usage').messages;
}

/**
 * Gives back one message counted on `day` (the model failed before answering). Never below zero, and on the day it
 * was counted, so a refund after midnight cannot eat into the new day's allowance.
 */
export async function refundMessage(db: D1Database, userId: string, day: string): Promise<void> {
  await db.prepare('UPDATE daily_usage SET messages = messages - 1 WHERE user_id = ?1 AND day = ?2 AND messages > 0').bind(userId, day).run();
}
