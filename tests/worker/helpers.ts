/**
 * A small HTTP client for worker tests: talks to the Worker's real fetch entry (or an app built with an injected
 * clock), keeps a bearer token or the session cookie like a real client would, and parses the error envelope.
 * Sync tests can use it too: `await signUp()` gives a signed-in client with a fresh user.
 */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { expect } from 'vitest';
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

export interface SignedUp {
  client: ApiClient;
  user: { id: string; email: string; tier: 'free' | 'premium' };
  email: string;
  password: string;
}

/** Signs up a fresh user; `session: 'token'` gives a bearer client, `'cookie'` a cookie client. */
export async function signUp(options: { session?: 'token' | 'cookie'; fetch?: Fetch; email?: string } = {}): Promise<SignedUp> {
  const client = new ApiClient(options.fetch);
  const email = options.email ?? uniqueEmail();
  const session = options.session ?? 'token';
  const res = await client.json<{ user: SignedUp['user']; token?: string }>('POST', '/api/auth/signup', {
    json: { email, password: PASSWORD, session },
  });
  expect(res.status).toBe(201);
  if (session === 'token') {
    expect(res.body.token).toBeTypeOf('string');
    client.token = res.body.token;
  }
  return { client, user: res.body.user, email, password: PASSWORD };
}
