/** Facts about the caller that several routes need. */
import type { Context } from 'hono';

/**
 * The client's IP as Cloudflare reports it. Cloudflare sets CF-Connecting-IP on every request at the edge (a client
 * cannot forge it there); locally it may be absent, and all such clients share one bucket.
 */
export function clientIp(c: Context): string {
  return c.req.header('CF-Connecting-IP') ?? 'unknown';
}

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export function isUnsafeMethod(method: string): boolean {
  return UNSAFE_METHODS.has(method.toUpperCase());
}
