/**
 * Runs in node before the worker tests: starts a real local S3-compatible server (standing in for Backblaze B2) on a
 * free port and provides its settings to tests/vitest.worker.config.ts, which binds them as the Worker's S3_* vars;
 * and the login-secret derivation server the tests' sign-up and login helpers use (support/login-secret-server.ts).
 */
import type { TestProject } from 'vitest/node';
import { startLoginSecretServer } from '../support/login-secret-server';
import { startLocalS3, type LocalS3 } from '../support/s3-server';

declare module 'vitest' {
  interface ProvidedContext {
    s3Env: LocalS3['env'];
    loginSecretUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const s3 = await startLocalS3();
  project.provide('s3Env', s3.env);
  const deriver = await startLoginSecretServer();
  project.provide('loginSecretUrl', deriver.url);
  return async () => {
    await deriver.close();
    await s3.close();
  };
}
