/**
 * Runs in node before the worker tests: starts a real local S3-compatible server (standing in for Backblaze B2), the
 * local OpenAI-compatible stand-in (the ask-memory model) and the local Stripe stand-in on free ports, and provides
 * their settings to tests/vitest.worker.config.ts, which binds them as the Worker's S3_*, CHAT_* and STRIPE_* vars;
 * and the login-secret derivation server the tests' sign-up and login helpers use (support/login-secret-server.ts).
 * The Worker under workerd has no HTTP address, so the Stripe stand-in keeps its signed webhooks in its outbox.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startOpenAiServer } from '../support/openai-server';
import { startLoginSecretServer } from '../support/login-secret-server';
import { startLocalS3, type LocalS3 } from '../support/s3-server';
import { startStripeServer } from '../support/stripe-server';

export interface ChatEnv {
  CHAT_API_BASE: string;
  CHAT_API_KEY: string;
  CHAT_MODEL: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    s3Env: LocalS3['env'];
    chatEnv: ChatEnv;
    billingEnv: { STRIPE_API_BASE: string; STRIPE_SECRET_KEY: string; STRIPE_WEBHOOK_SECRET: string };
    loginSecretUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startLocalS3();
  project.provide('s3Env', s3.env);
  const apiKey = `sk-test-${randomBytes(12).toString('hex')}`;
  const model = await startOpenAiServer({ apiKey });
  project.provide('chatEnv', { CHAT_API_BASE: `${model.url}/v1`, CHAT_API_KEY: apiKey, CHAT_MODEL: 'stand-in-chat' });
  // Per-run test secrets (never the real ones); tests read them from env to sign requests.
  const billingEnv = { STRIPE_SECRET_KEY: `sk_test_${randomBytes(12).toString('hex')}`, STRIPE_WEBHOOK_SECRET: `whsec_test_${randomBytes(16).toString('hex')}` };
  const stripe = await startStripeServer({ secretKey: billingEnv.STRIPE_SECRET_KEY, webhookSecret: billingEnv.STRIPE_WEBHOOK_SECRET, webhookUrl: null });
  project.provide('billingEnv', { ...billingEnv, STRIPE_API_BASE: stripe.url });
  const deriver = await startLoginSecretServer();
  project.provide('loginSecretUrl', deriver.url);
  return async () => {
    await Promise.all([s3.close(), model.close(), stripe.close(), deriver.close()]);
  };
}
