import fp from 'fastify-plugin'

/** Liveness says the process answers; readiness says the database answers and a key can sign. */
export default fp(
  async (app) => {
    app.get('/health', async () => ({ status: 'ok' }))
    app.get('/ready', async (_request, reply) => {
      try {
        await app.auth.storage.db.query('SELECT 1')
        await app.auth.keys.signingKey()
        return { status: 'ready' }
      } catch (error) {
        app.log.warn({ err: error }, 'not ready')
        return reply.code(503).send({ status: 'unavailable' })
      }
    })
  },
  { name: 'auth-server-health', fastify: '5.x', dependencies: ['auth-server-context'] },
)
