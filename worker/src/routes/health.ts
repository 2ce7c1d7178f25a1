/** GET /api/health: the Worker runs and D1 answers. Used by uptime checks and `npm start`. */
import { Hono } from 'hono';
import packageJson from '../../../package.json';
import type { AppEnv } from '../env';

export const healthRoutes = new Hono<AppEnv>().get('/', async (c) => {
  try {
    await c.env.DB.prepare('SELECT count(*) FROM users').first();
    return c.json({ ok: true, d1: 'ok', version: packageJson.version });
  } catch (error) {
    console.error('health: D1 failed', error);
    // A probe wants a status, not an error envelope: 503 with the same shape says which part is down.
    return c.json({ ok: false, d1: 'unavailable', version: packageJson.version }, 503);
  }
});
