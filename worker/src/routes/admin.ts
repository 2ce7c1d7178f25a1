/**
 * /api/admin: operator routes, guarded by `Authorization: Bearer ${ADMIN_TOKEN}` (compared in constant time).
 * Without an ADMIN_TOKEN secret the routes do not exist (NOT_FOUND), so a forgotten secret never means "open".
 */
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { timingSafeEqualText } from '../auth/crypto';
import type { AppEnv } from '../env';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerIp } from '../http/rate-limit';
import { findUserById, setTier } from '../repos/users';
import { tierSchema } from '../tiers';

const requireOperator = createMiddleware<AppEnv>(async (c, next) => {
  const secret = c.env.ADMIN_TOKEN;
  if (secret === undefined || secret === '') throw new AppError('NOT_FOUND');
  const presented = /^Bearer\s+(\S+)\s*$/.exec(c.req.header('Authorization') ?? '')?.[1];
  if (presented === undefined) throw new AppError('UNAUTHENTICATED');
  if (!(await timingSafeEqualText(presented, secret))) throw new AppError('FORBIDDEN');
  await next();
});

export const adminRoutes = new Hono<AppEnv>()
  .use(limitPerIp, limitBody(JSON_BODY_LIMIT_BYTES), requireOperator)
  .post('/users/:id/tier', validate('param', z.object({ id: z.string().min(1).max(64) })), validate('json', z.object({ tier: tierSchema })), async (c) => {
    const { id } = c.req.valid('param');
    const { tier } = c.req.valid('json');
    if (!(await setTier(c.env.DB, id, tier, c.var.deps.now()))) throw new AppError('NOT_FOUND');
    const user = await findUserById(c.env.DB, id);
    if (user === null) throw new AppError('NOT_FOUND');
    return c.json({ user: { id: user.id, email: user.email, tier: user.tier } });
  });
