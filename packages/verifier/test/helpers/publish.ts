import { createVerifier, type Verifier, type VerifierOptions } from '@stateless-auth/verifier'
import { afterEach } from 'vitest'
import { type JwksServer, startJwksServer } from './jwks-server.js'
import { AUDIENCE } from './keys.js'
import { outcome } from './wait.js'

export interface Published {
  as: JwksServer
  verifier: Verifier
  /** `'accepted'`, or the code the verifier refused the token with. */
  code(token: string): Promise<string>
}

/**
 * For a file whose tests each publish their own JWKS: the returned `publish(jwks, options)` starts a stand-in
 * authorization server serving exactly those JWK entries and a verifier trusting it; both are closed after each test.
 */
export function publishPerTest(): (jwks: object[], options?: Partial<VerifierOptions>) => Promise<Published> {
  let as: JwksServer | undefined
  let verifier: Verifier | undefined
  afterEach(async () => {
    await verifier?.close()
    await as?.close()
    verifier = undefined
    as = undefined
  })
  return async (jwks, options = {}) => {
    const server = await startJwksServer([])
    as = server
    server.setKeys(jwks)
    const v = createVerifier({
      issuer: server.issuer,
      audience: AUDIENCE,
      jwksUri: server.jwksUri,
      ...options,
    })
    verifier = v
    const code = async (token: string) => {
      const result = await outcome(v.verify(token))
      return 'value' in result ? 'accepted' : (result.error as { code: string }).code
    }
    return { as: server, verifier: v, code }
  }
}
