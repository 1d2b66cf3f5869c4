import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Each file starts the four services on 127.0.0.1:0; one at a time keeps a 2-core machine responsive.
    maxWorkers: 1,
    fileParallelism: false,
  },
})
