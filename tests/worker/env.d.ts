// Test-only bindings added by tests/vitest.worker.config.ts.
import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_MIGRATIONS: D1Migration[];
      /** tests/support/login-secret-server.ts: derives login secrets in node (workerd cannot compile hash-wasm). */
      TEST_LOGIN_SECRET_URL: string;
    }
  }
}
