import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { checkDpopProof, InvalidDpopProof } from '../dpop/proofs.js'
import { InsufficientScope, InvalidRequest, InvalidToken, OAuthError } from '../errors.js'
import { optional, type Params, userinfoResource } from '../oauth/params.js'
import { findToken, isActive } from '../oauth/token-lookup.js'
import { absentFormIsEmpty } from '../schemas/form.js'
import { UserinfoForm, UserinfoResponse } from '../schemas/userinfo.js'
import { profileClaims } from '../tokens.js'

/** RFC 6750 §2.1 header, or §2.2 form body for POST; never both (§2). */
function bearerToken(
  header: string | undefined,
  form: Params | undefined,
): { token: string; scheme: 'Bearer' | 'DPoP' } {
  const fromBody = form === undefined ? undefined : optional(form, 'access_token')
  if (header !== undefined) {
    if (fromBody !== undefined) throw new InvalidRequest('send the access token in one place only')
    // RFC 9449 §7.1: a DPoP-bound token comes with the DPoP scheme.
    const match = /^(Bearer|DPoP) ([A-Za-z0-9._~+/-]+=*)$/i.exec(header)
    if (!match) throw new InvalidToken('malformed Authorization header')
    return { scheme: match[1]!.toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer', token: match[2]! }
  }
  if (fromBody !== undefined) return { scheme: 'Bearer', token: fromBody }
  // RFC 6750 §3.1: no credentials at all gets a challenge without an error code.
  throw new OAuthError('invalid_token', 401, 'an access token is required', { 'www-authenticate': 'Bearer' })
}

/** OpenID Connect Core §5.3 UserInfo: the user's claims for an access token that carries `openid`. */
const userinfo: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const answer = async (
    header: string | undefined,
    form: Params | undefined,
    dpop: { method: string; proof: string | string[] | undefined },
  ) => {
    const { token, scheme } = bearerToken(header, form)
    const found = await findToken(ctx, token, 'access_token')
    if (found?.kind !== 'access_token' || !(await isActive(ctx, found, ctx.now()))) {
      throw new InvalidToken('the access token is invalid, expired or revoked')
    }
    // RFC 9068 §4: checked like any resource server checks its tokens, the audience included.
    const audiences = Array.isArray(found.claims.aud) ? found.claims.aud : [found.claims.aud]
    if (!audiences.includes(userinfoResource(ctx.config.issuer))) {
      throw new InvalidToken(
        `the access token is not meant for the userinfo endpoint: ask for resource=${userinfoResource(ctx.config.issuer)}`,
      )
    }
    // RFC 9449 §7: a bound token needs a proof of its key, so a copy of it alone is refused (no downgrade to Bearer).
    const boundTo = found.claims.cnf?.jkt
    if (scheme === 'Bearer' && boundTo !== undefined) {
      throw new InvalidToken('the access token is DPoP-bound: send it with the DPoP scheme and a proof')
    }
    if (scheme === 'DPoP') {
      if (boundTo === undefined)
        throw new InvalidToken('the access token is not DPoP-bound: use the Bearer scheme')
      const jkt = await checkDpopProof(ctx, dpop.proof ?? '', {
        htm: dpop.method,
        path: '/userinfo',
        accessToken: token,
      })
      if (jkt !== boundTo)
        throw new InvalidDpopProof('the DPoP proof key is not the one the token is bound to', true)
    }
    if (!found.grant) throw new InvalidToken('the access token does not represent a user')
    const scopes = found.claims.scope.split(' ')
    if (!scopes.includes('openid')) throw new InsufficientScope('openid')
    const user = await ctx.storage.users.findById(found.grant.userId)
    if (!user) throw new InvalidToken('the user no longer exists')
    return { sub: user.id, ...profileClaims(user, scopes) }
  }
  const response = { 200: UserinfoResponse }
  app.get('/userinfo', { schema: { response } }, async (request) =>
    answer(request.headers.authorization, undefined, { method: 'GET', proof: request.headers.dpop }),
  )
  app.post(
    '/userinfo',
    { preValidation: absentFormIsEmpty, schema: { body: UserinfoForm, response } },
    async (request) =>
      answer(request.headers.authorization, request.body, { method: 'POST', proof: request.headers.dpop }),
  )
}

export default userinfo
