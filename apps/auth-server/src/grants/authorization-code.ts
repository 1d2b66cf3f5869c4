import { constantTimeEqual, s256, sha256 } from '../crypto.js'
import { InvalidGrant, InvalidRequest, type OAuthError } from '../errors.js'
import { grantedResources, optional, required, resolveAudience, resourceList } from '../oauth/params.js'
import { CodeRepository } from '../storage/tokens.js'
import { type GrantHandler, issueForGrant } from './issue.js'

export const grantType = 'authorization_code'

// RFC 7636 §4.1: 43–128 characters from the unreserved set.
const VERIFIER = /^[A-Za-z0-9._~-]{43,128}$/

/** RFC 6749 §4.1.3 with RFC 7636 §4.6 (PKCE) and RFC 9700 §4.5 (replay revokes what the code issued). */
export const handler: GrantHandler = async (ctx, client, params, jkt) => {
  const code = required(params, 'code')
  // RFC 6749 §4.1.3: redirect_uri is REQUIRED only "if the redirect_uri parameter was included in the
  // authorization request" (it may be left out there when the client registered exactly one, §3.1.2.3).
  const redirectUri = optional(params, 'redirect_uri')
  const verifier = required(params, 'code_verifier')
  if (!VERIFIER.test(verifier)) throw new InvalidRequest('code_verifier must be 43-128 unreserved characters')
  const requestedResources = resourceList(params)

  const codeHash = sha256(code)
  if (redirectUri === undefined) {
    // Left out although /authorize had it: a missing required parameter (invalid_request, §5.2), refused like
    // the other malformed requests before the code is used up. A used code goes on to replay detection.
    const pending = await ctx.storage.codes.find(codeHash)
    if (pending?.redirectUriSent && pending.consumedAt === null) {
      throw new InvalidRequest('redirect_uri is required: the authorization request included it')
    }
  }

  const now = ctx.now()
  const stored = await ctx.storage.codes.find(codeHash)
  if (!stored) throw new InvalidGrant('authorization code is invalid')
  const replayed = async (): Promise<never> => {
    await ctx.storage.grants.revoke(stored.grantId, now)
    throw new InvalidGrant('authorization code was already used; the tokens issued from it are revoked')
  }
  if (stored.consumedAt !== null) return replayed()
  // A redemption refused from here on burns the code for good, as a stolen code should be.
  const refuse = async (error: OAuthError): Promise<never> => {
    if ((await ctx.storage.codes.consume(codeHash, now)).status === 'replayed') return replayed()
    throw error
  }
  if (stored.clientId !== client.client_id)
    return refuse(new InvalidGrant('authorization code was issued to another client'))
  if (stored.expiresAt <= now) return refuse(new InvalidGrant('authorization code has expired'))
  // §4.1.3: when sent, it must be identical to the authorization request's (or, when that had none, to the
  // registered URI the code was issued for): a mismatch is always refused.
  if (redirectUri === undefined ? stored.redirectUriSent : redirectUri !== stored.redirectUri)
    return refuse(new InvalidGrant('redirect_uri does not match the authorization request'))
  if (!constantTimeEqual(s256(verifier), stored.codeChallenge))
    return refuse(new InvalidGrant('PKCE verification failed'))
  // RFC 9449 §10: a code requested with dpop_jkt is redeemed only with a proof of that key.
  const boundTo = await ctx.storage.dpopBindings.find(`code:${codeHash}`)
  if (boundTo !== undefined && boundTo !== jkt)
    return refuse(
      new InvalidGrant('the DPoP proof key does not match the dpop_jkt of the authorization request'),
    )

  const grant = await ctx.storage.grants.find(stored.grantId)
  if (!grant || grant.revokedAt !== null) return refuse(new InvalidGrant('the authorization was revoked'))
  const user = await ctx.storage.users.findById(grant.userId)
  if (!user || user.disabledAt !== null) return refuse(new InvalidGrant('the user may no longer sign in'))
  const scopes = grant.scope.split(' ')
  const audience = resolveAudience(
    requestedResources,
    grantedResources(grant.resources, scopes, ctx.config.issuer),
  )
  // The code is used up in the transaction that records the tokens: of concurrent redemptions exactly one wins
  // (a conditional UPDATE), and a crash leaves the code unused or consumed with its tokens, never half.
  let lostRace = false
  try {
    return await issueForGrant(
      ctx,
      { client, grant, user, audience, scopes, nonce: stored.nonce, jkt },
      async (tx) => {
        if ((await new CodeRepository(tx).consume(codeHash, now)).status === 'won') return
        lostRace = true
        throw new InvalidGrant('authorization code was already used')
      },
    )
  } catch (error) {
    if (lostRace) return replayed()
    throw error
  }
}
