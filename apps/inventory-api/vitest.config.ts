import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file starts its own servers on 127.0.0.1:0; two workers keep a shared 2-core machine responsive.
    maxWorkers: 2,
  },
})
