import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each file starts several services as processes; one file at a time keeps a 2-core machine responsive.
    maxWorkers: 1,
    fileParallelism: false,
  },
})
