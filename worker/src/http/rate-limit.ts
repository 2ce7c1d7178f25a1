/** A fixed-window request limit per client (IP or user), counted in D1 so it holds across Worker isolates. */
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { AppError } from '../../../shared/errors';
import type { AppEnv } from '../env';
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
