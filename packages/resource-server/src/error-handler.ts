import { ServiceError } from '@stateless-auth/service-kit/errors'
import { DPOP_ALGORITHMS, type DpopMode, errorResponse, VerifierError } from '@stateless-auth/verifier'
import type { FastifyError } from 'fastify'

/**
 * The error-handler mapping of a resource server: the verifier's errors become its RFC 6750 answers (401 with
 * `WWW-Authenticate: Bearer error="invalid_token"`, 403 `insufficient_scope`, 503 while keys cannot be loaded),
 * exactly as `errorResponse` of `@stateless-auth/verifier` words them; with DPoP on, the `DPoP` challenge too.
 */
export function verifierErrors(realm: string, dpopMode: DpopMode = 'disabled') {
  const dpop = { mode: dpopMode, algorithms: DPOP_ALGORITHMS }
  return (error: FastifyError): ServiceError | undefined => {
    if (!(error instanceof VerifierError) && !error.code?.startsWith('VERIFIER_ERR_')) return undefined
    const { statusCode, headers, body } = errorResponse(error, { realm, dpop })
    return new ServiceError(error.code, statusCode, body.error, body.error_description, {
      headers,
      cause: error,
    })
  }
}
