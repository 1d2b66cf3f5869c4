import {
  InvalidRequest,
  InvalidScope,
  OAuthError,
  UnauthorizedClient,
  UnsupportedResponseType,
} from '../errors.js'
import type { Client, Storage } from '../storage/index.js'
import {
  grantedResources,
  optional,
  type Params,
  required,
  resolveResources,
  resolveScopes,
  resourceList,
} from './params.js'
import { isRegisteredRedirectUri } from './redirect-uri.js'

/** A validated RFC 6749 §4.1.1 authorization request. */
export interface AuthorizationRequest {
  client: Client
  redirectUri: string
  /**
   * Whether the request carried `redirect_uri` (it may be left out when exactly one URI is registered): RFC 6749
   * §4.1.3 requires it at the token endpoint only then.
   */
  redirectUriSent: boolean
  state: string | undefined
  scopes: string[]
  resources: string[]
  codeChallenge: string
  nonce: string | undefined
  prompt: string | undefined
  /** OIDC Core §3.1.2.1: the longest time since the user last authenticated, in seconds. */
  maxAge: number | undefined
  /** RFC 9449 §10: the thumbprint of the key the code is bound to. */
  dpopJkt: string | undefined
  /** The request's parameters, re-serialised: login and consent forms carry it back to /authorize. */
  query: string
}

/**
 * Failures before the redirect URI is known to be the client's (RFC 6749 §4.1.2.1): they are shown to the
 * user and never redirected, or the server would be an open redirector.
 */
export class UnverifiedRedirectError extends Error {
  constructor(readonly oauth: OAuthError) {
    super(oauth.message)
  }
}

/** Failures after the redirect URI is verified: reported to the client by redirect, with `state` and `iss`. */
export class RedirectableError extends Error {
  constructor(
    readonly oauth: OAuthError,
    readonly redirectUri: string,
    readonly state: string | undefined,
  ) {
    super(oauth.message)
  }
}

// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is always 43 characters.
const S256_CHALLENGE = /^[A-Za-z0-9_-]{43}$/
const KNOWN = ['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge']
const FORWARDED = [...KNOWN, 'code_challenge_method', 'nonce', 'prompt', 'max_age', 'dpop_jkt']
// RFC 7638 SHA-256 thumbprint, base64url: 43 characters.
const JKT = /^[A-Za-z0-9_-]{43}$/

export async function parseAuthorizationRequest(
  params: Params,
  storage: Storage,
  issuer: string,
): Promise<AuthorizationRequest> {
  let clientId: string
  let client: Client | undefined
  let redirectParam: string | undefined
  try {
    clientId = required(params, 'client_id')
    client = await storage.clients.find(clientId)
    redirectParam = optional(params, 'redirect_uri')
  } catch (error) {
    // Only a bad parameter is the request's fault; a store failure stays a 500 and is logged as one.
    if (error instanceof OAuthError) throw new UnverifiedRedirectError(error)
    throw error
  }
  if (!client) throw new UnverifiedRedirectError(new InvalidRequest('unknown client_id'))
  // RFC 6749 §3.1.2.3: the parameter may be left out only when exactly one URI is registered.
  const redirectUri =
    redirectParam ??
    (client.redirect_uris.length === 1 && !client.allow_loopback_any_port
      ? client.redirect_uris[0]
      : undefined)
  if (redirectUri === undefined)
    throw new UnverifiedRedirectError(new InvalidRequest('redirect_uri is required'))
  if (!isRegisteredRedirectUri(client, redirectUri)) {
    throw new UnverifiedRedirectError(new InvalidRequest('redirect_uri is not registered for this client'))
  }

  let state: string | undefined
  try {
    state = optional(params, 'state')
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectableError(error, redirectUri, undefined)
    throw error
  }
  try {
    const responseType = required(params, 'response_type')
    // RFC 9700 §2.1.2: no implicit grant, only the code flow.
    if (responseType !== 'code') throw new UnsupportedResponseType('only response_type=code is supported')
    if (!client.grant_types.includes('authorization_code')) {
      throw new UnauthorizedClient('this client may not use the authorization code grant')
    }
    const codeChallenge = optional(params, 'code_challenge')
    const method = optional(params, 'code_challenge_method')
    // RFC 9700 §2.1.1 and RFC 7636 §4.3: PKCE is required, and only S256 (plain would be a downgrade).
    if (codeChallenge === undefined) throw new InvalidRequest('code_challenge is required (PKCE)')
    if (method !== 'S256') throw new InvalidRequest('code_challenge_method must be S256')
    if (!S256_CHALLENGE.test(codeChallenge))
      throw new InvalidRequest('code_challenge is not a valid S256 challenge')
    const scope = optional(params, 'scope')
    if (scope === undefined) throw new InvalidScope('scope is required')
    const scopes = resolveScopes(scope, client.scopes, [])
    const resources = resolveResources(resourceList(params), client, grantedResources([], scopes, issuer))
    const nonce = optional(params, 'nonce')
    const prompt = optional(params, 'prompt')
    if (prompt !== undefined && !['none', 'login', 'consent'].includes(prompt)) {
      throw new InvalidRequest('prompt must be none, login or consent')
    }
    const maxAgeParam = optional(params, 'max_age')
    if (maxAgeParam !== undefined && !/^\d{1,9}$/.test(maxAgeParam)) {
      throw new InvalidRequest('max_age must be a non-negative integer (seconds)')
    }
    const maxAge = maxAgeParam === undefined ? undefined : Number(maxAgeParam)
    const dpopJkt = optional(params, 'dpop_jkt')
    if (dpopJkt !== undefined && !JKT.test(dpopJkt)) {
      throw new InvalidRequest('dpop_jkt must be a base64url SHA-256 JWK thumbprint')
    }

    // Forwarded as received: a redirect_uri left out stays left out through the login and consent forms, so the
    // code records that it was never sent (each step re-derives the one registered URI).
    const query = new URLSearchParams()
    for (const name of FORWARDED) {
      const value = optional(params, name)
      if (value !== undefined) query.set(name, value)
    }
    for (const resource of resources) query.append('resource', resource)
    return {
      client,
      redirectUri,
      redirectUriSent: redirectParam !== undefined,
      state,
      scopes,
      resources,
      codeChallenge,
      nonce,
      prompt,
      maxAge,
      dpopJkt,
      query: query.toString(),
    }
  } catch (error) {
    if (error instanceof OAuthError) throw new RedirectableError(error, redirectUri, state)
    throw error
  }
}

/** RFC 6749 §4.1.2 and RFC 9207 §2: the response carries `iss` so the client can tell which server answered. */
export function authorizationResponseUrl(
  redirectUri: string,
  issuer: string,
  values: Record<string, string | undefined>,
) {
  const url = new URL(redirectUri)
  for (const [name, value] of Object.entries(values))
    if (value !== undefined) url.searchParams.set(name, value)
  url.searchParams.set('iss', issuer)
  return url.toString()
}
