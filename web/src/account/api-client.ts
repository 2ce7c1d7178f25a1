/**
 * The app's one client for /api/auth, /api/account and /api/usage. It derives the login secret from the password in
 * the browser (shared/auth/login-secret.ts), so the password never leaves the device; validates every response with
 * zod; and turns every failure into the shared error vocabulary (the server's envelope, OFFLINE for a network error).
 * Cookie sessions: the HttpOnly cookies are the browser's business; unsafe requests carry the CSRF header.
 */
import { z } from 'zod';
import { deriveLoginSecret } from '../../../shared/auth/login-secret';
import {
  authUserSchema,
  changePasswordResponseSchema,
  loginParamsResponseSchema,
  meResponseSchema,
  okResponseSchema,
  passwordIsStrongEnough,
  sessionResponseSchema,
  type AuthUserData,
  type PasswordProof,
} from '../../../shared/auth/protocol';
import { AppError, errorEnvelopeSchema } from '../../../shared/errors';

/** worker/src/auth/csrf.ts: a custom header a cross-site page cannot send without a preflight. */
const CSRF_HEADER = 'X-Cogzy-CSRF';

export const usageSchema = z.object({
  tier: authUserSchema.shape.tier,
  messages: z.object({
    used: z.number().int().nonnegative(),
    limit: z.number().int().nullable(),
    remaining: z.number().int().nullable(),
    resetsAt: z.iso.datetime(),
  }),
  vault: z.object({ bytesUsed: z.number().int().nonnegative(), bytesLimit: z.number().int().positive() }),
});
export type Usage = z.infer<typeof usageSchema>;

export interface AccountApiOptions {
  /** Where /api lives; the app's own origin by default (vite proxies /api in dev). */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export class AccountApi {
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;

  constructor(options: AccountApiOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  }

  private async request<Schema extends z.ZodType>(method: string, path: string, schema: Schema, json?: unknown): Promise<z.output<Schema>> {
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (method !== 'GET') headers[CSRF_HEADER] = '1';
    if (json !== undefined) headers['Content-Type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: json === undefined ? undefined : JSON.stringify(json),
        credentials: 'include',
      });
    } catch (cause) {
      throw new AppError('OFFLINE', { detail: `${method} ${path}`, cause });
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const envelope = errorEnvelopeSchema.safeParse(body);
      if (envelope.success) throw AppError.fromData(envelope.data.error);
      throw new AppError('INTERNAL', { detail: `${method} ${path}: HTTP ${response.status} without an error envelope` });
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success) throw new AppError('INTERNAL', { detail: `${method} ${path}: unexpected response shape` });
    return parsed.data;
  }

  /** The derived secret for this email, and the password itself only for an account from before login secrets. */
  private async proof(email: string, password: string): Promise<{ proof: PasswordProof; kdf: z.infer<typeof loginParamsResponseSchema>['kdf'] }> {
    const params = await this.request('POST', '/api/auth/login-params', loginParamsResponseSchema, { email });
    const secret = await deriveLoginSecret(password, params.kdf);
    return { proof: params.legacyPassword ? { secret, password } : { secret }, kdf: params.kdf };
  }

  async signUp(email: string, password: string): Promise<AuthUserData> {
    if (!passwordIsStrongEnough(password)) throw new AppError('WEAK_PASSWORD');
    const { proof, kdf } = await this.proof(email, password);
    return (await this.request('POST', '/api/auth/signup', sessionResponseSchema, { email, secret: proof.secret, kdf, session: 'cookie' })).user;
  }

  async signIn(email: string, password: string): Promise<AuthUserData> {
    const { proof } = await this.proof(email, password);
    return (await this.request('POST', '/api/auth/login', sessionResponseSchema, { email, ...proof, session: 'cookie' })).user;
  }

  async signOut(): Promise<void> {
    await this.request('POST', '/api/auth/logout', okResponseSchema);
  }

  /** The signed-in user, or null when there is no (live) session. */
  async me(): Promise<AuthUserData | null> {
    try {
      return (await this.request('GET', '/api/auth/me', meResponseSchema)).user;
    } catch (error) {
      if (error instanceof AppError && error.code === 'UNAUTHENTICATED') return null;
      throw error;
    }
  }

  async usage(): Promise<Usage> {
    return this.request('GET', '/api/usage', usageSchema);
  }

  /** Returns how many other sessions (other devices) were signed out. */
  async changePassword(email: string, currentPassword: string, newPassword: string): Promise<number> {
    if (!passwordIsStrongEnough(newPassword)) throw new AppError('WEAK_PASSWORD');
    const { proof, kdf } = await this.proof(email, currentPassword);
    const newSecret = await deriveLoginSecret(newPassword, kdf);
    return (await this.request('POST', '/api/account/password', changePasswordResponseSchema, { current: proof, newSecret })).revokedSessions;
  }

  async deleteAccount(email: string, password: string): Promise<void> {
    const { proof } = await this.proof(email, password);
    await this.request('DELETE', '/api/account', okResponseSchema, proof);
  }
}
