import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { defineConfig } from 'vitest/config';
// Brings in the typing of what the global setup provides (inject('s3Env')).
import type {} from './worker/global-setup';

// Worker tests: the real Hono app inside workerd (vitest-pool-workers), D1 migrated in tests/worker/setup.ts and a
// real local S3-compatible server started by tests/worker/global-setup.ts. Storage is fresh per test file.
const root = join(import.meta.dirname, '..');

export default defineConfig(async () => {
  const migrations = await readD1Migrations(join(root, 'worker', 'migrations'));
  return {
    plugins: [
      cloudflareTest(({ inject }) => ({
        main: join(root, 'worker', 'src', 'index.ts'),
        wrangler: { configPath: join(root, 'wrangler.toml') },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: migrations,
            // Per-run test secrets (never the real ones); tests read them from env to sign requests.
            ADMIN_TOKEN: randomBytes(24).toString('base64url'),
            LOGIN_KDF_SECRET: randomBytes(24).toString('base64url'),
            // The cheapest cost clients accept (OWASP's minimum), so the many sign-ups stay quick; the product default
            // (wrangler.toml) is checked in tests/worker/login-secret.integration.test.ts.
            LOGIN_KDF_MEMORY_KIB: '19456',
            LOGIN_KDF_ITERATIONS: '2',
            TEST_LOGIN_SECRET_URL: inject('loginSecretUrl'),
            // S3_ENDPOINT, S3_REGION, S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY of the local server.
            ...inject('s3Env'),
            // CHAT_API_BASE, CHAT_API_KEY, CHAT_MODEL of the local OpenAI-compatible stand-in.
            ...inject('chatEnv'),
            // STRIPE_API_BASE, STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET of the local Stripe stand-in.
            ...inject('billingEnv'),
          },
        },
      })),
    ],
    test: {
      include: ['tests/worker/**/*.integration.test.ts'],
      // Node-side servers the Worker talks to (add more entries here; each may `provide` values for the bindings).
      globalSetup: ['tests/worker/global-setup.ts'],
      setupFiles: ['tests/worker/setup.ts'],
      testTimeout: 60_000,
      hookTimeout: 60_000,
    },
  };
});
