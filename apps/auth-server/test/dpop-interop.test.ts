import * as oauth from 'oauth4webapi'
import { describe, expect, it } from 'vitest'
import { Browser, start } from './helpers.js'

/**
 * Interop (issue 13): oauth4webapi's own DPoP client against this server, with server nonces on, so the standard
 * use_dpop_nonce retry (RFC 9449 §8) runs on every flow. No special cases: only oauth4webapi's documented calls.
 */
const insecure = { [oauth.allowInsecureRequests]: true } as const

async function discover(url: string) {
  const issuer = new URL(url)
  return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
}

/** oauth4webapi's documented pattern: retry once when the server asks for a nonce (the handle keeps it). */
async function withNonceRetry<T>(attempt: () => Promise<T>): Promise<{ result: T; retried: boolean }> {
  try {
    return { result: await attempt(), retried: false }
  } catch (error) {
    if (!oauth.isDPoPNonceError(error)) throw error
    return { result: await attempt(), retried: true }
  }
}

const decode = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { cnf?: { jkt: string } }

describe('oauth4webapi DPoP client against the auth-server', () => {
  it('client credentials with DPoP and the nonce retry', async () => {
    const server = await start({ DPOP_NONCE_SECRET: 'interop-nonce-secret-0123456789abcdef' })
    const as = await discover(server.url)
    expect(as.dpop_signing_alg_values_supported).toContain('ES256')
    const client: oauth.Client = { client_id: 'orders-api' }
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('ES256'))
    const { result, retried } = await withNonceRetry(async () =>
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(
          as,
          client,
          oauth.ClientSecretBasic('orders-api-secret'),
          { scope: 'inventory:read' },
          { DPoP, ...insecure },
        ),
      ),
    )
    expect(retried).toBe(true)
    expect(result.token_type).toBe('dpop')
    expect(decode(result.access_token).cnf?.jkt).toBe(await DPoP.calculateThumbprint())
  })

  it('authorization code + PKCE with dpop_jkt, then refresh, public client, nonce retries', async () => {
    const server = await start({ DPOP_NONCE_SECRET: 'interop-nonce-secret-0123456789abcdef' })
    const as = await discover(server.url)
    const client: oauth.Client = { client_id: 'demo-cli' }
    const clientAuth = oauth.None()
    // PS256 here, ES256 above. Not Ed25519: oauth4webapi 3.8 signs those with the fully-specified alg "Ed25519"
    // (RFC 9864), which the verifier's allowlist (ES256, EdDSA, PS256, RS256) does not name yet.
    const DPoP = oauth.DPoP(client, await oauth.generateKeyPair('PS256'))
    const redirectUri = 'http://127.0.0.1:5555/callback'
    const verifier = oauth.generateRandomCodeVerifier()
    const state = oauth.generateRandomState()
    const url = new URL(as.authorization_endpoint!)
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope: 'offline_access orders:read',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      dpop_jkt: await DPoP.calculateThumbprint(),
    }).toString()
    const callback = await new Browser().authorize(url, { consent: 'allow' })
    const params = oauth.validateAuthResponse(as, client, callback, state)
    const redeemed = await withNonceRetry(async () =>
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(as, client, clientAuth, params, redirectUri, verifier, {
          DPoP,
          ...insecure,
        }),
      ),
    )
    expect(redeemed.retried).toBe(true)
    expect(redeemed.result.token_type).toBe('dpop')
    const jkt = await DPoP.calculateThumbprint()
    expect(decode(redeemed.result.access_token).cnf?.jkt).toBe(jkt)

    // The handle already holds the nonce from the last response: the refresh goes through first time.
    const refreshed = await withNonceRetry(async () =>
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(as, client, clientAuth, redeemed.result.refresh_token!, {
          DPoP,
          ...insecure,
        }),
      ),
    )
    expect(refreshed.result.token_type).toBe('dpop')
    expect(decode(refreshed.result.access_token).cnf?.jkt).toBe(jkt)
  })
})
