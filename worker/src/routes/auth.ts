/**
 * /api/auth: login parameters, sign up, log in, log out, who am I. Clients send a login secret derived from the
 * password (shared/auth/login-secret.ts), never the password, except once for an account from before that scheme.
 */
import { Hono, type Context } from 'hono';
import { AppError } from '../../../shared/errors';
import {
  loginParamsRequestSchema,
  loginRequestSchema,
  signupRequestSchema,
  type LoginParamsResponse,
  type SessionResponse,
} from '../../../shared/auth/protocol';
import { hashPassword, newId, newSessionToken, sha256HexOfText } from '../auth/crypto';
import { assertCsrfProof } from '../auth/csrf';
import { issuedLoginKdf, madeUpLegacyFlag, sameLoginKdf } from '../auth/login-kdf';
import { requireUser } from '../auth/middleware';
import { assertPasswordProof, knownDevice } from '../auth/password-check';
import { clearSessionCookie, readDeviceCookie, writeDeviceCookie, writeSessionCookie } from '../auth/session-cookie';
import type { AppEnv, AuthUser } from '../env';
import { clientIp } from '../http/client';
import { JSON_BODY_LIMIT_BYTES, limitBody, validate } from '../http/errors';
import { limitPerIp, limitPerUser, rateLimit } from '../http/rate-limit';
import { rememberDevice } from '../repos/known-devices';
import { createSession, revokeSession } from '../repos/sessions';
import { createUserWithVault, findUserByEmail, normaliseEmail } from '../repos/users';
import { utcDay } from '../tiers';

/**
 * Starts a session and remembers the device (a fresh known-device token unless it presented a valid one).
 * `cookie` mode sets the HttpOnly cookies and never puts a token in the body; `token` mode returns both tokens.
 */
async function startSession(c: Context<AppEnv>, user: AuthUser, mode: 'cookie' | 'token', device: { known: boolean }): Promise<SessionResponse> {
  const token = newSessionToken();
  const now = c.var.deps.now();
  const { expiresAt } = await createSession(c.env.DB, {
    tokenHash: await sha256HexOfText(token),
    userId: user.id,
    now,
    userAgent: c.req.header('User-Agent') ?? null,
  });
  const deviceToken = device.known ? undefined : newSessionToken();
  if (deviceToken !== undefined) await rememberDevice(c.env.DB, user.id, await sha256HexOfText(deviceToken), now);
  const body: SessionResponse = { user: { id: user.id, email: user.email, tier: user.tier }, expiresAt: new Date(expiresAt).toISOString() };
  if (mode === 'cookie') {
    writeSessionCookie(c, token);
    if (deviceToken !== undefined) writeDeviceCookie(c, deviceToken);
  } else {
    body.token = token;
    if (deviceToken !== undefined) body.deviceToken = deviceToken;
  }
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
  // Asked before signup and login. Same shape and stable answers for addresses without an account (auth/login-kdf.ts).
  .post('/login-params', limitPerIp, validate('json', loginParamsRequestSchema), async (c) => {
    const email = normaliseEmail(c.req.valid('json').email);
    const user = await findUserByEmail(c.env.DB, email);
    const body: LoginParamsResponse =
      user?.loginKdf != null
        ? { kdf: user.loginKdf, legacyPassword: false }
        : { kdf: await issuedLoginKdf(c.env, email), legacyPassword: user !== null ? true : await madeUpLegacyFlag(c.env, email) };
    return c.json(body);
  })
  .post('/signup', limitAnonymousPerIp, validate('json', signupRequestSchema), async (c) => {
    const input = c.req.valid('json');
    if (input.session === 'cookie') assertCsrfProof(c);
    const email = normaliseEmail(input.email);
    if (!sameLoginKdf(input.kdf, await issuedLoginKdf(c.env, email))) {
      throw new AppError('VALIDATION_FAILED', { detail: 'kdf: not the parameters issued for this email; ask /api/auth/login-params again' });
    }
    const now = c.var.deps.now();
    const user = await createUserWithVault(c.env.DB, {
      id: newId(),
      email,
      password: await hashPassword(input.secret),
      loginKdf: input.kdf,
      now,
      day: utcDay(now),
    });
    return c.json(await startSession(c, user, input.session, { known: false }), 201);
  })
  .post('/login', limitAnonymousPerIp, validate('json', loginRequestSchema), async (c) => {
    const input = c.req.valid('json');
    if (input.session === 'cookie') assertCsrfProof(c);
    const email = normaliseEmail(input.email);
    const found = await findUserByEmail(c.env.DB, email);
    const device = { known: await knownDevice(c, found, input.session === 'cookie' ? readDeviceCookie(c) : input.deviceToken) };
    const user = await assertPasswordProof(c, email, found, input, device);
    return c.json(await startSession(c, user, input.session, device), 200);
  })
  .post('/logout', requireUser, limitPerUser, async (c) => {
    await revokeSession(c.env.DB, c.var.user.id, c.var.session.tokenHash, c.var.deps.now());
    if (c.var.session.via === 'cookie') clearSessionCookie(c);
    return c.json({ ok: true as const });
  })
  .get('/me', requireUser, limitPerUser, (c) => c.json({ user: c.var.user, sessionExpiresAt: new Date(c.var.session.expiresAt).toISOString() }));
