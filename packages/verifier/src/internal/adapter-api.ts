// What the adapters need from a verifier beyond its public surface. Not exported by the package: adapters reach it
// through relative imports, so applications see only `Verifier`.
import type { AccessTokenClaims } from '../claims.js'
import type { DpopRequest } from '../dpop/proof.js'
import type { VerifierError } from '../errors.js'
import type { ResolvedOptions } from '../options.js'

export interface AdapterApi {
  readonly options: Readonly<ResolvedOptions>
  /**
   * `authenticate` for code that runs on every request: the claims come back directly on a verified-token cache hit,
   * a promise otherwise. Failures are recorded and thrown, or rejected, as VerifierErrors.
   */
  check(
    authorization: string | string[] | undefined,
    request?: DpopRequest,
  ): AccessTokenClaims | Promise<AccessTokenClaims>
  /** Records a failure found outside `check` (a scope check) and returns it as a VerifierError. */
  reject(err: unknown): VerifierError
}

const apis = new WeakMap<object, AdapterApi>()

export function registerAdapterApi(verifier: object, api: AdapterApi): void {
  apis.set(verifier, api)
}

/** The adapter API of a verifier made by `createVerifier`; anything else is a programming error. */
export function adapterApi(verifier: object): AdapterApi {
  const api = apis.get(verifier)
  if (api === undefined) throw new TypeError('expected a verifier made by createVerifier()')
  return api
}
