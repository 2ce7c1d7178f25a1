/**
 * Request limits. `rateLimit` counts in D1 (exact, used for /api/auth where a guessed password is at stake);
 * `limitRequests` uses a Workers Rate Limiting binding (no D1 write per request, counted per Cloudflare location),
 * for the per-user API limit and the per-IP limit on anonymous routes. Both answer 429 RATE_LIMITED + Retry-After.
 */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../../shared/errors';
import type { AppEnv } from '../env';
import { clientIp } from './client';
import { hit } from '../repos/rate-limits';

export interface RateLimitOptions {
  /** Names the counter, e.g. 'auth'. */
  name: string;
  windowMs: number;
  /** Requests allowed per window (read per request, so tests and vars can change it). */
  limit: (c: Context<AppEnv>) => number;
  /** Whose budget this request spends, e.g. `ip:1.2.3.4` or `user:<id>`. */
  key: (c: Context<AppEnv>) => string;
}

export function rateLimit(options: RateLimitOptions) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const count = await hit(c.env.DB, `${options.name}:${options.key(c)}`, options.windowMs, c.var.deps.now());
    if (count > options.limit(c)) {
      c.header('Retry-After', String(Math.ceil(options.windowMs / 1000)));
      throw new AppError('RATE_LIMITED');
    }
    await next();
  });
}

/** The binding's window (wrangler.toml `simple.period`); the binding does not say when its window ends. */
const BINDING_PERIOD_SECONDS = 60;

/** Spends one unit of `key`'s budget in `limiter` (a `[[ratelimits]]` binding); over budget throws RATE_LIMITED. */
export async function spendOrRefuse(c: Context<AppEnv>, limiter: RateLimit, key: string): Promise<void> {
  const { success } = await limiter.limit({ key });
  if (!success) {
    c.header('Retry-After', String(BINDING_PERIOD_SECONDS));
    throw new AppError('RATE_LIMITED');
  }
}

/** Spends one request from `key`'s budget in `limiter` (a `[[ratelimits]]` binding); over budget answers 429. */
export function limitRequests(limiter: (env: AppEnv['Bindings']) => RateLimit, key: (c: Context<AppEnv>) => string) {
  return createMiddleware<AppEnv>(async (c, next) => {
    await spendOrRefuse(c, limiter(c.env), key(c));
    await next();
  });
}

/** Per signed-in user (after requireUser): API_RATE_LIMITER, 600 requests a minute. */
export const limitPerUser = limitRequests((env) => env.API_RATE_LIMITER, (c) => `user:${c.var.user.id}`);

/** Per client IP on anonymous routes (health, webhooks, admin): PUBLIC_RATE_LIMITER, 300 requests a minute. */
export const limitPerIp = limitRequests((env) => env.PUBLIC_RATE_LIMITER, (c) => `ip:${clientIp(c)}`);
