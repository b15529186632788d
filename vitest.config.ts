import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests share one Redis and one PostgreSQL; each file uses its own prefix/schema.
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
