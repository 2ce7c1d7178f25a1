import { defineConfig } from 'vitest/config';

// Unit tests: pure shared/ code and web/ modules in node (IndexedDB from fake-indexeddb).
export default defineConfig({
  test: {
    include: ['tests/unit/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
