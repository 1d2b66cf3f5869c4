import fp from 'fastify-plugin'

// Health checks poll every few seconds (containers, the launcher): their request logs would drown the real ones.
const probe = { logLevel: 'warn' } as const

/** Liveness says the process answers; readiness says the database answers and a key can sign. */
export default fp(
  async (app) => {
    app.get('/health', probe, async () => ({ status: 'ok' }))
    app.get('/ready', probe, async (_request, reply) => {
      try {
        await app.authServer.storage.db.query('SELECT 1')
        await app.authServer.keys.signingKey()
        return { status: 'ready' }
      } catch (error) {
        app.log.warn({ err: error }, 'not ready')
        return reply.code(503).send({ status: 'unavailable' })
      }
    })
  },
  { name: 'auth-server-health', fastify: '5.x', dependencies: ['auth-server-context'] },
)
