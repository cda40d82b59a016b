import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20000,
    hookTimeout: 30000,
    pool: 'forks',
    reporters: ['default'],
    // Fails the run when a test leaves a temporary folder behind.
    globalSetup: ['test/harness/temp-root.ts'],
  },
});
