import type { VerifierOptions } from '@stateless-auth/verifier'
import verifierPlugin from '@stateless-auth/verifier/fastify'
import Fastify, { type FastifyInstance } from 'fastify'
import { expect } from 'vitest'
import { trusting } from './jwks-server.js'
import { AUDIENCE } from './keys.js'

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

/**
 * Asserts a refusal as RFC 6750 §3 shapes it: the status, the exact `WWW-Authenticate` challenge for the
 * default realm (AUDIENCE) with `error` and `error_description` (then `extra` attributes), and the JSON body
 * `{ error, error_description }` carrying the same two.
 */
export function expectBearerRefusal(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  error: string,
  description: string,
  extra = '',
): void {
  expect(res.statusCode).toBe(status)
  expect(res.headers['www-authenticate']).toBe(
    `Bearer realm="${AUDIENCE}", error="${error}", error_description="${description}"${extra}`,
  )
  expect(res.json()).toEqual({ error, error_description: description })
}
