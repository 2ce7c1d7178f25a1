/**
 * The composition root: the only place that picks implementations (clock, blob store) and mounts routes by resource
 * under /api. Nothing is created at import time except the default app, which is built from the defaults below.
 */
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { finishAccountDeletions } from './account-deletion';
import { deleteAllUserBlobs } from './blob/from-env';
import { CSRF_HEADER } from './auth/csrf';
import type { AppDeps, AppEnv } from './env';
import { handleError, handleNotFound } from './http/errors';
import { accountRoutes } from './routes/account';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { healthRoutes } from './routes/health';
import { syncRoutes } from './routes/sync';
import { uploadRoutes } from './routes/uploads';
import { usageRoutes } from './routes/usage';
import { vaultRoutes } from './routes/vault';
import { webhookRoutes } from './routes/webhooks';

export const defaultDeps: AppDeps = {
  now: () => Date.now(),
  deleteAllUserBlobs,
};

export function createApp(overrides: Partial<AppDeps> = {}): Hono<AppEnv> {
  const deps: AppDeps = { ...defaultDeps, ...overrides };
  // strict: false: a trailing slash names the same route (`DELETE /api/account/` is `DELETE /api/account`) everywhere.
  const app = new Hono<AppEnv>({ strict: false });
  app.onError(handleError);
  app.notFound(handleNotFound);
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    await next();
  });
  // The PWA is normally same-origin (vite proxies /api in dev); CORS admits APP_ORIGIN when it is not.
  app.use(
    '/api/*',
    cors({
      origin: (origin, c: Context<AppEnv>) => (origin === c.env.APP_ORIGIN ? origin : null),
      credentials: true,
      allowHeaders: ['Content-Type', 'Authorization', CSRF_HEADER],
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      maxAge: 600,
    }),
  );

  app.route('/api/health', healthRoutes);
  app.route('/api/auth', authRoutes);
  app.route('/api/account', accountRoutes);
  app.route('/api/usage', usageRoutes);
  app.route('/api/webhooks', webhookRoutes);
  app.route('/api/admin', adminRoutes);
  app.route('/api/sync', syncRoutes);
  app.route('/api/vault', vaultRoutes);
  app.route('/api/uploads', uploadRoutes);
  return app;
}

/** Cron Trigger (wrangler.toml [triggers]): deferred work that no request waits for. */
export async function runScheduled(env: AppEnv['Bindings'], deps: AppDeps = defaultDeps): Promise<void> {
  await finishAccountDeletions(env, deps);
}

const app = createApp();
export default {
  fetch: app.fetch,
  scheduled: (_controller, env, ctx) => ctx.waitUntil(runScheduled(env)),
} satisfies ExportedHandler<AppEnv['Bindings']>;
