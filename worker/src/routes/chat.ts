/**
 * POST /api/chat: ask-memory through the Cogzy cloud model. The message is metered atomically BEFORE the model is
 * called (so parallel requests can never overshoot the plan), and refunded when the model fails before its first
 * token. The answer streams back as the upstream's OpenAI-compatible SSE. Usage left rides in X-Usage-* headers,
 * also on the 429 that refuses a message over the plan. Prompt text is never logged.
 */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { chatRequestSchema, USAGE_HEADERS } from '../../../shared/chat/sse';
import { requireUser } from '../auth/middleware';
import { openChatStream, relay, UpstreamFailure, type ChatUpstreamConfig } from '../chat/upstream';
import type { AppEnv, Env } from '../env';
import { limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { consumeMessage, refundMessage } from '../repos/usage';
import { getTierLimits, nextUtcMidnight, utcDay } from '../tiers';

/** 96k characters of UTF-8 (up to 4 bytes each) plus JSON escaping. */
export const CHAT_BODY_LIMIT_BYTES = 512 * 1024;

const timeoutVar = z.coerce.number().int().positive();

/** The upstream from secrets; CHAT_UNAVAILABLE when this deployment has none (before anything is metered). */
function upstreamConfig(env: Env): ChatUpstreamConfig {
  const { CHAT_API_BASE: base, CHAT_API_KEY: apiKey, CHAT_MODEL: model } = env;
  if (!base || !apiKey || !model) throw new AppError('CHAT_UNAVAILABLE');
  const timeout = timeoutVar.safeParse(env.CHAT_UPSTREAM_TIMEOUT_MS);
  if (!timeout.success) throw new AppError('INTERNAL', { detail: 'wrangler var CHAT_UPSTREAM_TIMEOUT_MS is not a positive integer' });
  return { base, apiKey, model, timeoutMs: timeout.data };
}

function setUsageHeaders(c: Context<AppEnv>, used: number, limit: number | null, now: number): void {
  c.header(USAGE_HEADERS.used, String(used));
  c.header(USAGE_HEADERS.limit, limit === null ? 'unlimited' : String(limit));
  c.header(USAGE_HEADERS.remaining, limit === null ? 'unlimited' : String(Math.max(0, limit - used)));
  c.header(USAGE_HEADERS.resetsAt, nextUtcMidnight(now).toISOString());
}

export const chatRoutes = new Hono<AppEnv>().post('/', limitBody(CHAT_BODY_LIMIT_BYTES), requireUser, limitPerUser, validate('json', chatRequestSchema), async (c) => {
  const config = upstreamConfig(c.env);
  const { user } = c.var;
  const now = c.var.deps.now();
  const day = utcDay(now);
  const limit = getTierLimits(c.env, user.tier).dailyMessages;
  const used = await consumeMessage(c.env.DB, user.id, day, limit);
  if (used === null) {
    setUsageHeaders(c, limit ?? 0, limit, now);
    throw new AppError('QUOTA_EXCEEDED');
  }
  let opened;
  try {
    opened = await openChatStream(config, c.req.valid('json').messages);
  } catch (error) {
    await refundMessage(c.env.DB, user.id, day);
    setUsageHeaders(c, used - 1, limit, now);
    // The reason is ours (`status 500`, `timeout`, ...), never upstream text, which could echo the prompt.
    const reason = error instanceof UpstreamFailure ? error.reason : 'unexpected';
    console.warn(`chat upstream failed before the first token (${reason}); message refunded`);
    throw new AppError('CHAT_UPSTREAM_FAILED', { detail: reason });
  }
  setUsageHeaders(c, used, limit, now);
  c.header('Content-Type', 'text/event-stream; charset=utf-8');
  c.header('Cache-Control', 'no-store');
  return c.body(relay(opened, config.timeoutMs), 200);
});
