/** GET /api/health: the Worker runs and D1 answers. Used by uptime checks and `npm start`. */
import { Hono } from 'hono';
import packageJson from '../../../package.json';
import type { AppEnv } from '../env';
import { limitPerIp } from '../http/rate-limit';

/**
 * One round trip to D1 that reads no table: the route is anonymous (throttled only per IP), so its cost must not grow with
 * the data (a `count(*)` over users would read every row on every probe).
 */
export async function checkDatabase(db: D1Database): Promise<D1Meta> {
  return (await db.prepare('SELECT 1 AS ok').run()).meta;
}

export const healthRoutes = new Hono<AppEnv>().get('/', limitPerIp, async (c) => {
  try {
    await checkDatabase(c.env.DB);
    return c.json({ ok: true, d1: 'ok', version: packageJson.version });
  } catch (error) {
    console.error('health: D1 failed', error);
    // A probe wants a status, not an error envelope: 503 with the same shape says which part is down.
    return c.json({ ok: false, d1: 'unavailable', version: packageJson.version }, 503);
  }
});
