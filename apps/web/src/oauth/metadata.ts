import { setTimeout as sleep } from 'node:timers/promises'
import { DiscoveryFailed } from '../errors.js'

/** The parts of RFC 8414 metadata this app uses, with back-channel endpoints rewritten to the internal issuer. */
export interface IssuerEndpoints {
  issuer: string
  /** Public: the browser goes there. */
  authorizationEndpoint: string
  /** Internal: this server calls these. */
  tokenEndpoint: string
  revocationEndpoint: string | undefined
  /** Public: RP-Initiated Logout 1.0 `end_session_endpoint`, where the browser goes to sign out there too. */
  endSessionEndpoint: string | undefined
  /** RFC 9207 §3: when advertised, every authorization response must carry `iss`. */
  issParameterSupported: boolean
}

/**
 * Fetches `/.well-known/oauth-authorization-server` from the internal issuer URL, checks that the document
 * names the public issuer (RFC 8414 §3.3: the `issuer` must be identical to the one the client expects), and
 * maps the token and revocation endpoints onto the internal address. Retries until `timeoutSeconds` because
 * the auth-server may still be booting beside us.
 */
export async function discover(publicIssuer: string, internalIssuer: string, timeoutSeconds: number) {
  const deadline = Date.now() + timeoutSeconds * 1000
  const metadataUrl = `${internalIssuer}/.well-known/oauth-authorization-server`
  let lastProblem = 'not tried'
  do {
    try {
      const res = await fetch(metadataUrl, { signal: AbortSignal.timeout(3000) })
      if (res.ok) return parse((await res.json()) as Record<string, unknown>, publicIssuer, internalIssuer)
      lastProblem = `${metadataUrl} answered ${res.status}`
    } catch (err) {
      if (err instanceof DiscoveryFailed) throw err
      lastProblem = `${metadataUrl}: ${(err as Error).message}`
    }
    if (Date.now() < deadline) await sleep(500)
  } while (Date.now() < deadline)
  throw new DiscoveryFailed(lastProblem)
}

function parse(doc: Record<string, unknown>, publicIssuer: string, internalIssuer: string): IssuerEndpoints {
  if (doc.issuer !== publicIssuer) {
    throw new DiscoveryFailed(`issuer is ${String(doc.issuer)}, expected PUBLIC_ISSUER ${publicIssuer}`)
  }
  const endpoint = (name: string) => {
    const value = doc[name]
    return typeof value === 'string' ? value : undefined
  }
  const authorizationEndpoint = endpoint('authorization_endpoint')
  const tokenEndpoint = endpoint('token_endpoint')
  if (!authorizationEndpoint || !tokenEndpoint) {
    throw new DiscoveryFailed('authorization_endpoint and token_endpoint are required')
  }
  const internal = (url: string) =>
    url.startsWith(publicIssuer) ? internalIssuer + url.slice(publicIssuer.length) : url
  const revocation = endpoint('revocation_endpoint')
  return {
    issuer: publicIssuer,
    authorizationEndpoint,
    tokenEndpoint: internal(tokenEndpoint),
    revocationEndpoint: revocation && internal(revocation),
    endSessionEndpoint: endpoint('end_session_endpoint'),
    issParameterSupported: doc.authorization_response_iss_parameter_supported === true,
  }
}
