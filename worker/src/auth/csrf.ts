/**
 * CSRF defence for requests that carry the session cookie (bearer requests carry no ambient credential, so they are
 * exempt). An unsafe request (POST, PUT, PATCH, DELETE) passes only if:
 *   1. it sends `X-Cogzy-CSRF: 1`: a custom header, which a cross-site page can only send after a CORS preflight
 *      that this Worker answers for APP_ORIGIN alone; and
 *   2. its `Origin`, when present, is APP_ORIGIN or the API's own origin; and
 *   3. its `Sec-Fetch-Site`, when present, is not `cross-site`.
 * The same rule guards signup and login when they are asked to set the cookie (login CSRF).
 */
import type { Context } from 'hono';
import { AppError } from '../../../shared/errors';
import type { AppEnv } from '../env';

export const CSRF_HEADER = 'X-Cogzy-CSRF';

export function assertCsrfProof(c: Context<AppEnv>): void {
  if (c.req.header(CSRF_HEADER) !== '1') throw new AppError('CSRF_REJECTED', { detail: `missing ${CSRF_HEADER}: 1` });
  const origin = c.req.header('Origin');
  if (origin !== undefined && origin !== c.env.APP_ORIGIN && origin !== new URL(c.req.url).origin) {
    throw new AppError('CSRF_REJECTED', { detail: 'foreign Origin' });
  }
  if (c.req.header('Sec-Fetch-Site') === 'cross-site') throw new AppError('CSRF_REJECTED', { detail: 'cross-site request' });
}
