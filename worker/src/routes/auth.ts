/** /api/auth: sign up, log in, log out, who am I. */
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import { burnPasswordCheck, hashPassword, PBKDF2_ITERATIONS, newId, newSessionToken, sha256HexOfText, verifyPassword } from '../auth/crypto';
import { assertCsrfProof } from '../auth/csrf';
import { requireUser } from '../auth/middleware';
import { clearSessionCookie, writeSessionCookie } from '../auth/session-cookie';
import type { AppEnv, AuthUser } from '../env';
import { clientIp } from '../http/client';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerUser, rateLimit } from '../http/rate-limit';
import { claimPasswordAttempt, clearFailures } from '../repos/login-attempts';
import { createSession, revokeSession } from '../repos/sessions';
import { createUserWithVault, findUserByEmail, normaliseEmail, updatePassword } from '../repos/users';
import { utcDay } from '../tiers';

export const MIN_PASSWORD_CHARS = 10;
const MAX_PASSWORD_CHARS = 1024;

const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());

/**
 * `session: 'cookie'` (default, for the PWA) sets the HttpOnly cookie and never puts the token in the body;
 * `session: 'token'` (other clients) returns the token for `Authorization: Bearer` and sets no cookie.
 */
const credentialsSchema = z.object({
  email: emailSchema,
  password: z.string().min(1).max(MAX_PASSWORD_CHARS),
  session: z.enum(['cookie', 'token']).default('cookie'),
});

export const passwordIsStrongEnough = (password: string): boolean => [...password].length >= MIN_PASSWORD_CHARS;

export interface SessionResponse {
  user: AuthUser;
  expiresAt: string;
  token?: string;
}

async function startSession(c: Context<AppEnv>, user: AuthUser, mode: 'cookie' | 'token'): Promise<SessionResponse> {
  const token = newSessionToken();
  const { expiresAt } = await createSession(c.env.DB, {
    tokenHash: await sha256HexOfText(token),
    userId: user.id,
    now: c.var.deps.now(),
    userAgent: c.req.header('User-Agent') ?? null,
  });
  const body: SessionResponse = { user: { id: user.id, email: user.email, tier: user.tier }, expiresAt: new Date(expiresAt).toISOString() };
  if (mode === 'cookie') writeSessionCookie(c, token);
  else body.token = token;
  return body;
}

/**
 * The anonymous per-IP budget (counted in D1): only the routes that check a password spend it. Signed-in reads and
 * logout spend their user's budget instead, so people behind one NAT cannot use up each other's logins.
 */
const limitAnonymousPerIp = rateLimit({
  name: 'auth',
  windowMs: 60_000,
  limit: (c) => Number(c.env.AUTH_REQUESTS_PER_MINUTE) || 60,
  key: (c) => `ip:${clientIp(c)}`,
});

export const authRoutes = new Hono<AppEnv>()
  .use(limitBody(JSON_BODY_LIMIT_BYTES))
  .post('/signup', limitAnonymousPerIp, validate('json', credentialsSchema), async (c) => {
    const input = c.req.valid('json');
    if (input.session === 'cookie') assertCsrfProof(c);
    if (!passwordIsStrongEnough(input.password)) throw new AppError('WEAK_PASSWORD');
    const now = c.var.deps.now();
    const user = await createUserWithVault(c.env.DB, {
      id: newId(),
      email: input.email,
      password: await hashPassword(input.password),
      now,
      day: utcDay(now),
    });
    return c.json(await startSession(c, user, input.session), 201);
  })
  .post('/login', limitAnonymousPerIp, validate('json', credentialsSchema), async (c) => {
    const input = c.req.valid('json');
    if (input.session === 'cookie') assertCsrfProof(c);
    const email = normaliseEmail(input.email);
    const ip = clientIp(c);
    const now = c.var.deps.now();
    if (!(await claimPasswordAttempt(c.env.DB, email, ip, now))) throw new AppError('TOO_MANY_ATTEMPTS');
    const user = await findUserByEmail(c.env.DB, email);
    const ok = user === null ? (await burnPasswordCheck(input.password), false) : await verifyPassword(input.password, user.password);
    if (user === null || !ok) throw new AppError('INVALID_CREDENTIALS');
    await clearFailures(c.env.DB, email, ip);
    // Hashes made with fewer iterations (an older setting) are upgraded while the password is at hand.
    if (user.password.iterations < PBKDF2_ITERATIONS) await updatePassword(c.env.DB, user.id, await hashPassword(input.password));
    return c.json(await startSession(c, user, input.session), 200);
  })
  .post('/logout', requireUser, limitPerUser, async (c) => {
    await revokeSession(c.env.DB, c.var.user.id, c.var.session.tokenHash, c.var.deps.now());
    if (c.var.session.via === 'cookie') clearSessionCookie(c);
    return c.json({ ok: true as const });
  })
  .get('/me', requireUser, limitPerUser, (c) => c.json({ user: c.var.user, sessionExpiresAt: new Date(c.var.session.expiresAt).toISOString() }));
