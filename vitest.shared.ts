import { defineConfig } from 'vitest/config'

/**
 * The test settings every server workspace shares (auth-server, the resource servers and their chassis).
 * A workspace's `vitest.config.ts` re-exports it, or extends it with `mergeConfig` where it needs more.
 */
export const serviceTestConfig = defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own servers on 127.0.0.1:0; two workers keep a shared 2-core machine responsive.
    maxWorkers: 2,
  },
})
