import type { VerifierOptions } from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { trusting } from './jwks-server.js'

/**
 * A Fastify app with the verifier plugin registered for a test authorization server (its issuer and JWKS, for
 * AUDIENCE); `extra` adds or overrides options. Routes are the caller's; the app is not ready yet.
 */
export async function pluginApp(
  as: { issuer: string; jwksUri: string },
  extra: Partial<VerifierOptions> & { realm?: string } = {},
): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(verifierPlugin, { ...trusting(as), ...extra })
  return app
}
