/** /api/usage: the plan's allowance and what is used today; metering of ask-memory messages. */
import { Hono } from 'hono';
import { AppError } from '../../../shared/errors';
import { requireUser } from '../auth/middleware';
import type { AppEnv } from '../env';
import { JSON_BODY_LIMIT_BYTES, limitBody } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { consumeMessage, getMessagesUsed } from '../repos/usage';
import { ensureVault } from '../repos/vaults';
import { getTierLimits, nextUtcMidnight, utcDay } from '../tiers';

export const usageRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES), requireUser, limitPerUser)
  .get('/', async (c) => {
    const now = c.var.deps.now();
    const { user } = c.var;
    const limits = getTierLimits(c.env, user.tier);
    const [used, vault] = await Promise.all([getMessagesUsed(c.env.DB, user.id, utcDay(now)), ensureVault(c.env.DB, user.id, now)]);
    return c.json({
      tier: user.tier,
      messages: {
        used,
        limit: limits.dailyMessages,
        remaining: limits.dailyMessages === null ? null : Math.max(0, limits.dailyMessages - used),
        resetsAt: nextUtcMidnight(now).toISOString(),
      },
      vault: { bytesUsed: vault.bytesUsed, bytesLimit: limits.vaultBytes },
    });
  })
  .post('/messages', async (c) => {
    const now = c.var.deps.now();
    const { user } = c.var;
    const limit = getTierLimits(c.env, user.tier).dailyMessages;
    const used = await consumeMessage(c.env.DB, user.id, utcDay(now), limit);
    if (used === null) throw new AppError('QUOTA_EXCEEDED');
    return c.json({
      used,
      limit,
      remaining: limit === null ? null : Math.max(0, limit - used),
      resetsAt: nextUtcMidnight(now).toISOString(),
    });
  });
