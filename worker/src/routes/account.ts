/** /api/account: change password, delete account. Both ask for the current password again. */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { hashPassword, verifyPassword } from '../auth/crypto';
import { requireUser, requireUserAllowDeleting } from '../auth/middleware';
import { clearSessionCookie } from '../auth/session-cookie';
import type { AppEnv } from '../env';
import { clientIp } from '../http/client';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { claimPasswordAttempt, clearFailures } from '../repos/login-attempts';
import { revokeOtherSessions } from '../repos/sessions';
import { findUserById, updatePassword } from '../repos/users';
import { deleteAccount } from '../account-deletion';
import { passwordIsStrongEnough } from './auth';

const passwordSchema = z.string().min(1).max(1024);

/** Throttled like login (same per email and IP budget): a stolen session must not become a password oracle. */
async function assertCurrentPassword(c: Context<AppEnv>, password: string) {
  const user = await findUserById(c.env.DB, c.var.user.id);
  if (user === null) throw new AppError('UNAUTHENTICATED');
  const ip = clientIp(c);
  if (!(await claimPasswordAttempt(c.env.DB, user.email, ip, c.var.deps.now()))) throw new AppError('TOO_MANY_ATTEMPTS');
  if (!(await verifyPassword(password, user.password))) throw new AppError('INVALID_CREDENTIALS');
  await clearFailures(c.env.DB, user.email, ip);
  return user;
}

export const accountRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES))
  .post('/password', requireUser, limitPerUser, validate('json', z.object({ currentPassword: passwordSchema, newPassword: passwordSchema })), async (c) => {
    const { currentPassword, newPassword } = c.req.valid('json');
    await assertCurrentPassword(c, currentPassword);
    if (!passwordIsStrongEnough(newPassword)) throw new AppError('WEAK_PASSWORD');
    await updatePassword(c.env.DB, c.var.user.id, await hashPassword(newPassword));
    // Whoever knew the old password may hold a session: end every session but this one.
    const revokedSessions = await revokeOtherSessions(c.env.DB, c.var.user.id, c.var.session.tokenHash, c.var.deps.now());
    return c.json({ ok: true as const, revokedSessions });
  })
  .delete('/', requireUserAllowDeleting, limitPerUser, validate('json', z.object({ password: passwordSchema })), async (c) => {
    const user = await assertCurrentPassword(c, c.req.valid('json').password);
    await deleteAccount(c.env, c.var.deps, user);
    if (c.var.session.via === 'cookie') clearSessionCookie(c);
    return c.json({ ok: true as const });
  });
