import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // every answer of a test app is checked against its OpenAPI document: a mismatch fails the test
    setupFiles: ['test/api/support/contractSetup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // 2-core machines: a few files at a time keeps the shared PostgreSQL responsive
    maxWorkers: 3,
  },
});
