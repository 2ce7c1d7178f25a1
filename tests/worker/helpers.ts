/**
 * A small HTTP client for worker tests: talks to the Worker's real fetch entry (or an app built with an injected
 * clock), keeps a bearer token or the session cookie like a real client would, and parses the error envelope.
 * Sync tests can use it too: `await signUp()` gives a signed-in client with a fresh user.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
import { loginParamsResponseSchema, type LoginParamsResponse, type PasswordProof } from '../../shared/auth/protocol';
import type { LoginKdf } from '../../shared/auth/login-secret';
import { errorEnvelopeSchema, type ErrorCode } from '../../shared/errors';
import type { AppDeps } from '../../worker/src/env';
import worker, { createApp } from '../../worker/src/index';

export const BASE_URL = 'https://vault.cogzy.test';
export const PASSWORD = 'correct horse battery staple';

type Fetch = (request: Request) => Promise<Response>;

/** The deployed entry point (the module's default export), exactly as workerd invokes it. */
export const workerFetch: Fetch = async (request) => worker.fetch(request, env, createExecutionContext());

/** The same app with injected dependencies (a clock for day rollover) and optionally other env vars. */
export function appFetch(deps: Partial<AppDeps>, envOverrides: Partial<Cloudflare.Env> = {}): Fetch {
  const app = createApp(deps);
  return async (request) => app.fetch(request, { ...env, ...envOverrides }, createExecutionContext());
}

let counter = 0;
/** A unique email and client IP per call, so tests never share a user or a rate-limit bucket by accident. */
export function uniqueEmail(label = 'user'): string {
  counter += 1;
  return `${label}-${counter}-${crypto.randomUUID().slice(0, 8)}@example.com`;
}
export function uniqueIp(): string {
  const b = crypto.getRandomValues(new Uint8Array(3));
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export interface CallOptions {
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
  /** Send the CSRF proof header (cookie clients); default true. */
  csrf?: boolean;
  /** Send no credentials at all. */
  anonymous?: boolean;
}

export class ApiClient {
  token: string | undefined;
  cookie: string | undefined;

  constructor(
    readonly fetch: Fetch = workerFetch,
    readonly ip: string = uniqueIp(),
  ) {}

  async call(method: string, path: string, options: CallOptions = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    headers.set('CF-Connecting-IP', this.ip);
    if (options.json !== undefined) headers.set('Content-Type', 'application/json');
    if (options.csrf !== false) headers.set('X-Cogzy-CSRF', '1');
    if (options.anonymous !== true) {
      if (this.token !== undefined) headers.set('Authorization', `Bearer ${this.token}`);
      if (this.cookie !== undefined) headers.set('Cookie', this.cookie);
    }
    const body = options.json !== undefined ? JSON.stringify(options.json) : options.body;
    const response = await this.fetch(new Request(`${BASE_URL}${path}`, { method, headers, body }));
    const setCookie = response.headers.get('Set-Cookie');
    if (setCookie !== null) {
      const pair = setCookie.split(';')[0] ?? '';
      this.cookie = /Max-Age=0/i.test(setCookie) || pair.endsWith('=') ? undefined : pair;
    }
    return response;
  }

  async json<T = Record<string, unknown>>(method: string, path: string, options: CallOptions = {}): Promise<{ status: number; body: T }> {
    const response = await this.call(method, path, options);
    return { status: response.status, body: (await response.json()) as T };
  }
}

/** Asserts the response is the error envelope with this code and status. */
export async function expectError(response: Response, status: number, code: ErrorCode): Promise<void> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  const envelope = errorEnvelopeSchema.parse(JSON.parse(text));
  expect(envelope.error.code).toBe(code);
  expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
}

/** A well-formed login secret that no password derives to: what a guesser sends. */
export function randomSecret(): string {
  let binary = '';
  for (const byte of crypto.getRandomValues(new Uint8Array(32))) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const derived = new Map<string, Promise<string>>();

/** The real derivation (shared/auth/login-secret.ts), run in node by tests/support/login-secret-server.ts. */
export async function deriveSecret(password: string, kdf: LoginKdf): Promise<string> {
  const key = JSON.stringify([password, kdf]);
  let secret = derived.get(key);
  if (secret === undefined) {
    secret = fetch(env.TEST_LOGIN_SECRET_URL, { method: 'POST', body: JSON.stringify({ password, kdf }) }).then(async (res) => {
      expect(res.status).toBe(200);
      return (await res.json<{ secret: string }>()).secret;
    });
    derived.set(key, secret);
  }
  return secret;
}

export async function loginParams(client: ApiClient, email: string): Promise<LoginParamsResponse> {
  const res = await client.json('POST', '/api/auth/login-params', { json: { email }, anonymous: true });
  expect(res.status).toBe(200);
  return loginParamsResponseSchema.parse(res.body);
}

/** What a client proves the password with: the derived secret, and the password itself if the account predates that. */
export async function passwordProof(client: ApiClient, email: string, password: string): Promise<PasswordProof> {
  const params = await loginParams(client, email);
  const secret = await deriveSecret(password, params.kdf);
  return params.legacyPassword ? { secret, password } : { secret };
}

/** POST /api/auth/login as a real client does it (login-params, derivation, login). */
export async function logIn(
  client: ApiClient,
  email: string,
  password: string,
  extra: { session?: 'token' | 'cookie'; deviceToken?: string; cookie?: string } = {},
): Promise<Response> {
  const proof = await passwordProof(client, email, password);
  const headers = extra.cookie === undefined ? undefined : { Cookie: extra.cookie };
  return client.call('POST', '/api/auth/login', { json: { email, ...proof, session: extra.session ?? 'token', deviceToken: extra.deviceToken }, headers });
}

/** A sign-up body as a real client builds it (login-params, then the derivation). */
export async function signupBody(client: ApiClient, email: string, session: 'token' | 'cookie' = 'cookie', password = PASSWORD) {
  const { kdf } = await loginParams(client, email);
  return { email, secret: await deriveSecret(password, kdf), kdf, session };
}

export interface SignedUp {
  client: ApiClient;
  user: { id: string; email: string; tier: 'free' | 'premium' };
  email: string;
  password: string;
  /** The login secret derived from `password`: what DELETE /api/account and password changes prove it with. */
  secret: string;
  /** Token sessions only: this device's known-device token. */
  deviceToken: string | undefined;
}

/** Signs up a fresh user; `session: 'token'` gives a bearer client, `'cookie'` a cookie client. */
export async function signUp(options: { session?: 'token' | 'cookie'; fetch?: Fetch; email?: string } = {}): Promise<SignedUp> {
  const client = new ApiClient(options.fetch);
  const email = options.email ?? uniqueEmail();
  const session = options.session ?? 'token';
  const { kdf } = await loginParams(client, email);
  const secret = await deriveSecret(PASSWORD, kdf);
  const res = await client.json<{ user: SignedUp['user']; token?: string; deviceToken?: string }>('POST', '/api/auth/signup', {
    json: { email, secret, kdf, session },
  });
  expect(res.status).toBe(201);
  if (session === 'token') {
    expect(res.body.token).toBeTypeOf('string');
    client.token = res.body.token;
  }
  return { client, user: res.body.user, email, password: PASSWORD, secret, deviceToken: res.body.deviceToken };
}
