/**
 * `requireUser`: authenticates by `Authorization: Bearer <token>` or the HttpOnly session cookie, sets c.var.user
 * and c.var.session, and applies the CSRF rule (auth/csrf.ts) to cookie-authenticated unsafe requests.
 * A bearer header wins over a cookie when both are sent. A presented token that names no live session spends the
 * client IP's AUTH_FAILURE_RATE_LIMITER budget (30 a minute): past it, such requests get 429 RATE_LIMITED instead of
 * 401. Only failures count, so signed-in clients sharing that IP are not refused.
 * Once an account's deletion has started, its sessions get 409 ACCOUNT_DELETING everywhere but on the one route that
 * finishes the deletion (`requireUserAllowDeleting`): no new write can start while its objects are being removed.
 */
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../../shared/errors';
import type { AppEnv } from '../env';
import { clientIp, isUnsafeMethod } from '../http/client';
import { spendOrRefuse } from '../http/rate-limit';
import { findActiveSession } from '../repos/sessions';
import { sha256HexOfText } from './crypto';
import { assertCsrfProof } from './csrf';
import { readSessionCookie, writeSessionCookie } from './session-cookie';

const BEARER = /^Bearer\s+([A-Za-z0-9_-]{16,128})\s*$/;

function authenticate(options: { allowDeleting: boolean }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const authorization = c.req.header('Authorization');
    let token: string | undefined;
    let via: 'cookie' | 'bearer';
    if (authorization !== undefined) {
      token = BEARER.exec(authorization)?.[1];
      via = 'bearer';
    } else {
      token = readSessionCookie(c);
      via = 'cookie';
    }
    if (token === undefined || token === '') throw new AppError('UNAUTHENTICATED');
    if (via === 'cookie' && isUnsafeMethod(c.req.method)) assertCsrfProof(c);

    const tokenHash = await sha256HexOfText(token);
    const now = c.var.deps.now();
    const session = await findActiveSession(c.env.DB, tokenHash, now);
    if (session === null) {
      await spendOrRefuse(c, c.env.AUTH_FAILURE_RATE_LIMITER, `ip:${clientIp(c)}`);
      throw new AppError('UNAUTHENTICATED');
    }
    // The server-side expiry slid forward; the browser's cookie lifetime follows it.
    if (via === 'cookie' && session.extended) writeSessionCookie(c, token, session.expiresAt - now);
    if (session.deleting && !options.allowDeleting) throw new AppError('ACCOUNT_DELETING');
    c.set('user', session.user);
    c.set('session', { tokenHash, via, expiresAt: session.expiresAt });
    await next();
  });
}

export const requireUser = authenticate({ allowDeleting: false });
/** For account deletion only: a deletion that stopped halfway (blob store down) can be finished with the same session. */
export const requireUserAllowDeleting = authenticate({ allowDeleting: true });
