/**
 * Browser suite global setup: builds the PWA once (`vite build` → dist/) and serves it on a free port; the URL is
 * handed to the spec files as `inject('baseUrl')`. Set E2E_SKIP_BUILD=1 to reuse an existing dist/ while iterating.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { serveStatic } from './browser-server';
import { CHROMIUM_PATH } from './browser';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

const root = resolve(import.meta.dirname, '..', '..');

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dist = join(root, 'dist');
  if (process.env['E2E_SKIP_BUILD'] !== '1' || !existsSync(join(dist, 'index.html'))) {
    const build = spawnSync(process.execPath, [join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: root,
      stdio: 'inherit',
    });
    if (build.status !== 0) throw new Error(`vite build failed (exit ${String(build.status)})`);
  }
  // Say which browser the specs ran on: a Debian chromium update is the usual reason a spec changes its mind.
  const version = spawnSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8' });
  console.log(`browser tests run on: ${version.stdout.trim() || `${CHROMIUM_PATH} (no version: ${version.error?.message ?? (version.stderr.trim() || 'unknown')})`}`);
  const server = await serveStatic(dist);
  project.provide('baseUrl', server.url);
  return () => server.close();
}
