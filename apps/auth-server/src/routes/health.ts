import { healthRoutes } from '@stateless-auth/service-kit/health'
import fp from 'fastify-plugin'

/** Liveness says the process answers; readiness says the database answers and a key can sign. */
export default fp(
  async (app) => {
    await app.register(healthRoutes, {
      checks: {
        database: () => app.authServer.storage.db.query('SELECT 1'),
        signing_key: () => app.authServer.keys.signingKey(),
      },
      ...app.authServer.config.pressure,
    })
  },
  { name: 'auth-server-health', fastify: '5.x', dependencies: ['auth-server-context'] },
)
