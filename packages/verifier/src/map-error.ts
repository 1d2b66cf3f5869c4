import { VerifierError, verifierError } from './errors.js'

/**
 * Every failure the verifier raises is already a {@link VerifierError} (JWKS fetches wrap theirs in `fetch-json.ts`).
 * Anything else is a bug of ours or of the runtime: it becomes a 401 `invalid_token` keeping the original as `cause`,
 * so a surprise can neither turn into a 500 nor let a token through.
 */
export function mapError(err: unknown): VerifierError {
  if (err instanceof VerifierError) return err
  return verifierError('VERIFIER_ERR_TOKEN_MALFORMED', 'The access token could not be verified', {
    cause: err,
  })
}
