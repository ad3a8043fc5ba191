import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['lib/test/**/*.test.ts', 'grading/test/**/*.test.ts', 'notebooks/test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
  },
});
