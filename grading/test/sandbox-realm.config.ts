/**
 * The course library's own tests, run in the grading sandbox's realm: the
 * intrinsics frozen by SES lockdown (with mathjs loaded first, as a sandbox
 * whose cells use it does). `npm run test:lib-in-sandbox-realm`; not part of
 * `npm test` (it runs the library's suite a second time, ~2 min).
 */
import { resolve } from 'path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: resolve(__dirname, '..', '..'),
    include: ['lib/test/**/*.test.ts'],
    setupFiles: [resolve(__dirname, 'sandbox-realm-setup.cjs')],
    testTimeout: 120_000,
  },
});
