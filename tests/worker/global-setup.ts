/**
 * Runs in node before the worker tests: starts a real local S3-compatible server (standing in for Backblaze B2) and
 * the local OpenAI-compatible stand-in (the ask-memory model) on free ports, and provides their settings to
 * tests/vitest.worker.config.ts, which binds them as the Worker's S3_* and CHAT_* vars.
 */
import { randomBytes } from 'node:crypto';
import type { TestProject } from 'vitest/node';
import { startOpenAiServer } from '../support/openai-server';
import { startLocalS3, type LocalS3 } from '../support/s3-server';

export interface ChatEnv {
  CHAT_API_BASE: string;
  CHAT_API_KEY: string;
  CHAT_MODEL: string;
}

declare module 'vitest' {
  interface ProvidedContext {
    s3Env: LocalS3['env'];
    chatEnv: ChatEnv;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startLocalS3();
  project.provide('s3Env', s3.env);
  const apiKey = `sk-test-${randomBytes(12).toString('hex')}`;
  const model = await startOpenAiServer({ apiKey });
  project.provide('chatEnv', { CHAT_API_BASE: `${model.url}/v1`, CHAT_API_KEY: apiKey, CHAT_MODEL: 'stand-in-chat' });
  return async () => {
    await Promise.all([s3.close(), model.close()]);
  };
}
