/**
 * The composition root: the only place that picks implementations (clock, blob store) and mounts routes by resource
 * under /api. Nothing is created at import time except the default app, which is built from the defaults below.
 */
import { Hono, type Context } from 'hono';
import { cors } from 'hono/cors';
import { finishAccountDeletions } from './account-deletion';
import { blobStoreFromEnv, deleteAllUserBlobs } from './blob/from-env';
import { CSRF_HEADER } from './auth/csrf';
import { USAGE_HEADERS } from '../../shared/chat/sse';
import { SYNC_PROTOCOL_HEADER } from '../../shared/sync/protocol';
import type { AppDeps, AppEnv, Env } from './env';
import { handleError, handleNotFound } from './http/errors';
import { runBlobLifecycle } from './jobs/blob-lifecycle';
import { accountRoutes } from './routes/account';
import { adminRoutes } from './routes/admin';
import { authRoutes } from './routes/auth';
import { billingRoutes } from './routes/billing';
import { chatRoutes } from './routes/chat';
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
      allowHeaders: ['Content-Type', 'Authorization', CSRF_HEADER, SYNC_PROTOCOL_HEADER],
      allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposeHeaders: Object.values(USAGE_HEADERS),
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
  app.route('/api/chat', chatRoutes);
  app.route('/api/billing', billingRoutes);
  return app;
}

/** Account deletions left halfway or due for their final sweep (SPEC S23). */
export async function runScheduled(env: Env, deps: AppDeps = defaultDeps): Promise<void> {
  await finishAccountDeletions(env, deps);
}

/**
 * The Cron Trigger (wrangler.toml `[triggers]`): deferred work that no request waits for: the blob sweep and garbage
 * collection (SPEC S18, S19) for every user, on the trigger's own clock, then account deletions (S23). Each job runs
 * even if the other failed; a failure is logged and the run reported failed, and the next run picks up where it stopped.
 */
export async function scheduled(controller: ScheduledController, env: Env, deps: AppDeps = defaultDeps): Promise<void> {
  const failures: unknown[] = [];
  try {
    const report = await runBlobLifecycle(env.DB, blobStoreFromEnv(env), controller.scheduledTime);
    console.log(JSON.stringify({ event: 'blob-lifecycle', cron: controller.cron, ...report }));
  } catch (error) {
    console.error('scheduled: blob lifecycle failed', error);
    failures.push(error);
  }
  try {
    await runScheduled(env, deps);
  } catch (error) {
    console.error('scheduled: account deletions failed', error);
    failures.push(error);
  }
  if (failures.length > 0) throw failures[0];
}

const app = createApp();
export default { fetch: app.fetch, scheduled: (controller, env) => scheduled(controller, env) } satisfies ExportedHandler<Env>;
