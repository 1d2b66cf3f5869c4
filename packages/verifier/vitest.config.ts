import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (path: string) => fileURLToPath(new URL(`./src/${path}`, import.meta.url))

export default defineConfig({
  resolve: {
    // Tests exercise the sources through the public package names (same specifiers as consumers use).
    alias: [
      { find: /^@stateless-auth\/verifier\/fastify$/, replacement: src('adapters/fastify.ts') },
      { find: /^@stateless-auth\/verifier\/node$/, replacement: src('adapters/node.ts') },
      { find: /^@stateless-auth\/verifier$/, replacement: src('index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    // Generous: no test asserts speed, and the suite must hold on a loaded machine (key generation, 6000-token floods).
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
})
