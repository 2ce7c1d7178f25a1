import { defineConfig } from 'vitest/config';

// Browser tests: playwright-core drives Debian's chromium against the production build (see support/browser-*.ts).
// One file at a time: each file launches its own chromium and the machine has two shared cores.
export default defineConfig({
  test: {
    include: ['tests/e2e/**/*.spec.ts'],
    environment: 'node',
    globalSetup: ['tests/support/browser-global-setup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
