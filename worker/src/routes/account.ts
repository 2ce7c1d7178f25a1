/** /api/account: change password, delete account. Both prove the current password again (auth/password-check.ts). */
import { Hono, type Context } from 'hono';
import { changePasswordRequestSchema, deleteAccountRequestSchema, type PasswordProof } from '../../../shared/auth/protocol';
import { AppError } from '../../../shared/errors';
import { hashPassword } from '../auth/crypto';
import { issuedLoginKdf } from '../auth/login-kdf';
import { requireUser, requireUserAllowDeleting } from '../auth/middleware';
import { assertPasswordProof, knownDevice } from '../auth/password-check';
import { clearSessionCookie, readDeviceCookie } from '../auth/session-cookie';
import type { AppEnv } from '../env';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerUser } from '../http/rate-limit';
import { revokeOtherSessions } from '../repos/sessions';
import { findUserById, updatePassword } from '../repos/users';
import { deleteAccount } from '../account-deletion';

/** Throttled like login (same budgets): a stolen session must not become a password oracle. */
async function assertCurrentPassword(c: Context<AppEnv>, proof: PasswordProof) {
  const user = await findUserById(c.env.DB, c.var.user.id);
  if (user === null) throw new AppError('UNAUTHENTICATED');
  const device = { known: await knownDevice(c, user, c.var.session.via === 'cookie' ? readDeviceCookie(c) : undefined) };
  return assertPasswordProof(c, user.email, user, proof, device);
}

export const accountRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES))
  .post('/password', requireUser, limitPerUser, validate('json', changePasswordRequestSchema), async (c) => {
    const { current, newSecret } = c.req.valid('json');
    const user = await assertCurrentPassword(c, current);
    // The new secret was derived with the account's parameters (or, for an account just migrated, the issued ones).
    const loginKdf = user.loginKdf ?? (await issuedLoginKdf(c.env, user.email));
    await updatePassword(c.env.DB, user.id, await hashPassword(newSecret), loginKdf);
    // Whoever knew the old password may hold a session: end every session but this one.
    const revokedSessions = await revokeOtherSessions(c.env.DB, user.id, c.var.session.tokenHash, c.var.deps.now());
    return c.json({ ok: true as const, revokedSessions });
  })
  .delete('/', requireUserAllowDeleting, limitPerUser, validate('json', deleteAccountRequestSchema), async (c) => {
    const user = await assertCurrentPassword(c, c.req.valid('json'));
    await deleteAccount(c.env, c.var.deps, user);
    if (c.var.session.via === 'cookie') clearSessionCookie(c);
    return c.json({ ok: true as const });
  });
