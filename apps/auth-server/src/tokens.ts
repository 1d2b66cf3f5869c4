import { randomUUID } from 'node:crypto'
import { createLocalJWKSet, type JWTPayload, errors as joseErrors, jwtVerify, SignJWT } from 'jose'
import type { AuthServerConfig } from './config.js'
import { SIGNING_ALGS } from './config.js'
import type { SigningKeys } from './keys/signing-keys.js'
import { userinfoResource } from './oauth/params.js'
import type { StatusClaim, StatusLists } from './status/status-lists.js'
import type { AccessTokenRecord, Storage, User } from './storage/index.js'

export interface IssuedAccessTokenClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  client_id: string
  iat: number
  exp: number
  jti: string
  scope: string
  auth_time?: number
  status?: StatusClaim
  /** RFC 9449 §6.1: the DPoP key the token is bound to. */
  cnf?: { jkt: string }
}

export interface IssuedAccessToken {
  token: string
  claims: IssuedAccessTokenClaims
}

/** A signed access token and the row that records it, for the caller to write in its own transaction. */
export interface SignedAccessToken extends IssuedAccessToken {
  record: Omit<AccessTokenRecord, 'revokedAt'>
}

export interface AccessTokenRequest {
  subject: string
  clientId: string
  audience: string
  scope: string
  grantId: string | null
  authTime?: number
  /** RFC 7638 thumbprint of the DPoP proof key: binds the token (`cnf.jkt`, RFC 9449 §6). */
  jkt?: string
}

/** Signs the server's JWTs with the current key and records access-token ids for revocation/introspection. */
export class TokenIssuer {
  constructor(
    private readonly config: Pick<AuthServerConfig, 'issuer' | 'accessTokenTtl' | 'clockSkew'>,
    private readonly keys: SigningKeys,
    private readonly storage: Storage,
    private readonly now: () => number,
    private readonly statusLists: StatusLists,
  ) {}

  /** RFC 9068 §2: `typ: at+jwt` and the claims iss, exp, aud, sub, client_id, iat, jti (+ scope, auth_time). */
  async accessToken(request: AccessTokenRequest): Promise<IssuedAccessToken> {
    const { record, ...issued } = await this.signAccessToken(request)
    await this.storage.accessTokens.record(record)
    return issued
  }

  /**
   * Signs an access token without recording it: a grant that redeems something (a code, a refresh token) writes
   * the record in the same transaction as the redemption, so a crash can never leave one without the other. Its
   * status-list index is claimed here, in its own transaction; an index whose token is never recorded is only
   * unused until it expires.
   */
  async signAccessToken(request: AccessTokenRequest): Promise<SignedAccessToken> {
    const { kid, alg, key } = await this.keys.signingKey()
    const iat = this.now()
    // Issue 12, item 15: with `openid` granted, the token also names the userinfo endpoint, so a standard OpenID
    // Connect client can call /userinfo with the token it got for its API. Audience separation between the APIs
    // holds: each verifier accepts a token only when `aud` contains its own identifier.
    const userinfo = userinfoResource(this.config.issuer)
    const withUserinfo = request.scope.split(' ').includes('openid') && request.audience !== userinfo
    const claims: IssuedAccessTokenClaims = {
      iss: this.config.issuer,
      sub: request.subject,
      aud: withUserinfo ? [request.audience, userinfo] : request.audience,
      client_id: request.clientId,
      iat,
      exp: iat + this.config.accessTokenTtl,
      jti: randomUUID(),
      scope: request.scope,
      ...(request.authTime === undefined ? {} : { auth_time: request.authTime }),
      ...(request.jkt === undefined ? {} : { cnf: { jkt: request.jkt } }),
    }
    // draft-ietf-oauth-status-list §6.2: where verifiers learn of a revocation without calling us.
    claims.status = await this.statusLists.allocate({ ...request, jti: claims.jti, expiresAt: claims.exp })
    const token = await new SignJWT(claims).setProtectedHeader({ typ: 'at+jwt', alg, kid }).sign(key)
    const record = {
      jti: claims.jti,
      grantId: request.grantId,
      clientId: request.clientId,
      subject: request.subject,
      audience: request.audience,
      scope: request.scope,
      issuedAt: iat,
      expiresAt: claims.exp,
    }
    return { token, claims, record }
  }

  /**
   * OpenID Connect Core §2 ID token, typed `JWT` (RFC 8725 §3.11) so it can never pass a verifier that
   * demands `at+jwt`. Its audience is the client, never a resource server.
   */
  async idToken(user: User, clientId: string, scopes: string[], authTime: number, nonce?: string | null) {
    const { kid, alg, key } = await this.keys.signingKey()
    const iat = this.now()
    const claims: JWTPayload = {
      iss: this.config.issuer,
      sub: user.id,
      aud: clientId,
      iat,
      exp: iat + this.config.accessTokenTtl,
      auth_time: authTime,
      ...(nonce ? { nonce } : {}),
      ...profileClaims(user, scopes),
    }
    return new SignJWT(claims).setProtectedHeader({ typ: 'JWT', alg, kid }).sign(key)
  }

  /**
   * Verifies one of our own access tokens against the published keys: signature, `typ: at+jwt`, issuer,
   * expiry (unless `allowExpired`, for revocation). Returns undefined for anything that is not one.
   */
  async verifyAccessToken(token: string, options: { allowExpired?: boolean } = {}) {
    const jwks = createLocalJWKSet(await this.keys.jwks())
    try {
      const { payload } = await jwtVerify<IssuedAccessTokenClaims>(token, jwks, {
        issuer: this.config.issuer,
        typ: 'at+jwt',
        algorithms: [...SIGNING_ALGS],
        currentDate: new Date(this.now() * 1000),
        clockTolerance: options.allowExpired ? Number.MAX_SAFE_INTEGER / 1000 : this.config.clockSkew,
        requiredClaims: ['sub', 'aud', 'client_id', 'jti', 'exp', 'iat'],
      })
      return payload
    } catch (error) {
      if (error instanceof joseErrors.JOSEError || error instanceof TypeError) return undefined
      throw error
    }
  }
}

/** OpenID Connect Core §5.4: the `profile` scope releases name claims. */
export function profileClaims(user: User, scopes: string[]): Record<string, string> {
  if (!scopes.includes('profile')) return {}
  return { name: user.name, preferred_username: user.username }
}
