/**
 * The wire format of /api/auth and /api/account, shared by the Worker and its clients (the PWA's account client, the
 * test and bench clients). Passwords never travel except once, for an account created before login secrets, at its
 * next password check (`password`, see login-secret.ts); everything else carries the derived `secret`.
 */
import { z } from 'zod';
import { loginKdfSchema, loginSecretSchema } from './login-secret';

/** Checked by the client before deriving: the server only sees the derived secret, never the password's length. */
export const MIN_PASSWORD_CHARS = 10;
export const MAX_PASSWORD_CHARS = 1024;
export const passwordIsStrongEnough = (password: string): boolean => [...password].length >= MIN_PASSWORD_CHARS;

export const emailSchema = z.string().trim().toLowerCase().max(254).pipe(z.email());
const legacyPasswordSchema = z.string().min(1).max(MAX_PASSWORD_CHARS);
/** A known-device token (base64url): lets its device past the per-account backoff on password checks. */
const deviceTokenSchema = z.string().regex(/^[A-Za-z0-9_-]{43}$/);

export const loginParamsRequestSchema = z.object({ email: emailSchema });
/**
 * `legacyPassword`: also send the password itself, once, so the server can check the old hash and switch the account
 * to login secrets. For addresses without an account the server answers with made-up but stable values for both.
 */
export const loginParamsResponseSchema = z.object({ kdf: loginKdfSchema, legacyPassword: z.boolean() });
export type LoginParamsResponse = z.infer<typeof loginParamsResponseSchema>;

/** Proof of knowing the password: the derived secret, plus the password itself only when `legacyPassword` said so. */
export const passwordProofSchema = z.object({ secret: loginSecretSchema, password: legacyPasswordSchema.optional() });
export type PasswordProof = z.infer<typeof passwordProofSchema>;

/**
 * `session: 'cookie'` (default, for the PWA) sets the HttpOnly cookies and never puts tokens in the body;
 * `session: 'token'` (other clients) returns the session token (and the device token) in the body instead.
 */
const sessionModeSchema = z.enum(['cookie', 'token']).default('cookie');

/** `kdf`: the parameters from login-params the secret was derived with (the server checks they are the issued ones). */
export const signupRequestSchema = z.object({ email: emailSchema, secret: loginSecretSchema, kdf: loginKdfSchema, session: sessionModeSchema });
export type SignupRequest = z.input<typeof signupRequestSchema>;

export const loginRequestSchema = passwordProofSchema.extend({
  email: emailSchema,
  session: sessionModeSchema,
  deviceToken: deviceTokenSchema.optional(),
});
export type LoginRequest = z.input<typeof loginRequestSchema>;

export const tierSchema = z.enum(['free', 'premium']);
export const authUserSchema = z.object({ id: z.string(), email: z.string(), tier: tierSchema });
export type AuthUserData = z.infer<typeof authUserSchema>;

export const sessionResponseSchema = z.object({
  user: authUserSchema,
  expiresAt: z.iso.datetime(),
  token: z.string().optional(),
  deviceToken: z.string().optional(),
});
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

export const meResponseSchema = z.object({ user: authUserSchema, sessionExpiresAt: z.iso.datetime() });

/** The new secret is derived with the same parameters as the current one (login-params). */
export const changePasswordRequestSchema = z.object({ current: passwordProofSchema, newSecret: loginSecretSchema });
export const changePasswordResponseSchema = z.object({ ok: z.literal(true), revokedSessions: z.number().int().nonnegative() });

export const deleteAccountRequestSchema = passwordProofSchema;
export const okResponseSchema = z.object({ ok: z.literal(true) });
