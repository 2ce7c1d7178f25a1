/**
 * The Worker's bindings and per-request context. `Cloudflare.Env` (bindings and vars) is generated from
 * wrangler.toml by `npx wrangler types worker/worker-configuration.d.ts --include-runtime=false --strict-vars=false`;
 * secrets are not in wrangler.toml, so they are declared here (all optional: a missing secret disables its feature).
 */
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- merges into wrangler's generated Cloudflare.Env
  namespace Cloudflare {
    interface Env {
      /** HMAC key for POST /api/webhooks/billing (Stripe `whsec_...`). Absent: the webhook route answers NOT_FOUND. */
      STRIPE_WEBHOOK_SECRET?: string;
      /** Bearer token for the operator routes under /api/admin. Absent: those routes answer NOT_FOUND. */
      ADMIN_TOKEN?: string;
      /** Blob store credentials (B2 application key, or the local S3-compatible server's). */
      S3_ACCESS_KEY_ID?: string;
      S3_SECRET_ACCESS_KEY?: string;
      /** Ask-memory model (OpenAI-compatible): base URL with its version path, key, model id. Absent: CHAT_UNAVAILABLE. */
      CHAT_API_BASE?: string;
      CHAT_API_KEY?: string;
      CHAT_MODEL?: string;
      /** Stripe secret key for checkout and portal sessions. Absent: /api/billing answers BILLING_UNAVAILABLE. */
      STRIPE_SECRET_KEY?: string;
      /** HMAC key for login-secret salts (auth/login-kdf.ts), at least 16 characters. Absent: sign-up and login fail. */
      LOGIN_KDF_SECRET?: string;
    }
  }
}

export type Env = Cloudflare.Env;

export type Tier = 'free' | 'premium';

/** The signed-in user as routes see it (c.var.user). */
export interface AuthUser {
  id: string;
  email: string;
  tier: Tier;
}

/** How the current request authenticated (c.var.session). */
export interface AuthSession {
  /** SHA-256 (hex) of the session token; the token itself is never stored. */
  tokenHash: string;
  /** `cookie` requests are subject to CSRF checks on unsafe methods; `bearer` requests carry no ambient credential. */
  via: 'cookie' | 'bearer';
  expiresAt: number;
}

/** Things the app takes from its caller instead of reaching for globals, so tests can substitute them. */
export interface AppDeps {
  /** Epoch milliseconds. */
  now: () => number;
  /** Removes every blob of a user from the blob store (account deletion); called before the user's rows go. */
  deleteAllUserBlobs: (env: Env, userId: string) => Promise<void>;
}

export interface AppEnv {
  Bindings: Env;
  Variables: {
    user: AuthUser;
    session: AuthSession;
    deps: AppDeps;
  };
}
