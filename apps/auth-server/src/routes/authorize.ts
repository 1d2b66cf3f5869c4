import { randomUUID } from 'node:crypto'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { dummyHash, randomToken, sha256, verifySecret } from '../crypto.js'
import { AccessDenied, ConsentRequired, LoginRequired, type OAuthError } from '../errors.js'
import {
  type AuthorizationRequest,
  authorizationResponseUrl,
  parseAuthorizationRequest,
  RedirectableError,
  UnverifiedRedirectError,
} from '../oauth/authorization-request.js'
import { hasControlCharacters, MAX_PARAM_LENGTH, type Params } from '../oauth/params.js'
import { csrfUserInfo, type LoginSession, readSession, startSession } from '../oauth/session.js'
import { pageCsp, STYLESHEET } from '../pages/html.js'
import { consentPage, errorPage, loginPage } from '../pages/pages.js'
import { AuthorizationParams, ConsentForm, LoginForm } from '../schemas/authorize.js'
import { absentFormIsEmpty } from '../schemas/form.js'
import { isPublic, type User } from '../storage/index.js'

type Login = LoginSession & { user: User }

/** The form fields carry the authorization request back as a query string; repeated keys become arrays. */
function queryToParams(query: unknown): Params {
  const params: Params = {}
  if (typeof query !== 'string' || query.length > 8 * MAX_PARAM_LENGTH) return params
  for (const [key, value] of new URLSearchParams(query)) {
    const previous = params[key]
    params[key] =
      previous === undefined ? value : [...(Array.isArray(previous) ? previous : [previous]), value]
  }
  return params
}

/** A form field, or undefined when it is missing, repeated, too long or holds control characters. */
function field(body: Params, name: string, max = 1024): string | undefined {
  const value = body[name]
  return typeof value === 'string' && value.length <= max && !hasControlCharacters(value) ? value : undefined
}

/**
 * RFC 6749 §4.1.1 authorization endpoint with its login and consent pages. The request is validated on every
 * step (GET /authorize, POST /login, POST /consent), so nothing a form sends back is trusted.
 */
const authorize: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const { issuer, sessionTtl, codeTtl, refreshTokenTtl } = ctx.config
  const secure = issuer.startsWith('https:')

  const page = (reply: FastifyReply, status: number, body: string, request?: AuthorizationRequest) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', pageCsp(request ? [new URL(request.redirectUri).origin] : []))
      .send(body)

  const redirectWith = (reply: FastifyReply, status: number, url: string) => reply.redirect(url, status)

  const redirectError = (
    reply: FastifyReply,
    status: number,
    error: OAuthError,
    request: { redirectUri: string; state: string | undefined },
  ) =>
    redirectWith(
      reply,
      status,
      authorizationResponseUrl(request.redirectUri, issuer, {
        error: error.error,
        error_description: error.message,
        state: request.state,
      }),
    )

  /** Validates; on failure answers (error page or error redirect) and returns undefined. */
  async function parse(params: Params, reply: FastifyReply, status: number) {
    try {
      return await parseAuthorizationRequest(params, ctx.storage, issuer)
    } catch (error) {
      if (error instanceof UnverifiedRedirectError) {
        page(reply, 400, errorPage('This sign-in link is not valid', error.message))
        return undefined
      }
      if (error instanceof RedirectableError) {
        redirectError(reply, status, error.oauth, error)
        return undefined
      }
      throw error
    }
  }

  /** A form token bound to whoever is signed in now (see csrfUserInfo). */
  const formToken = (reply: FastifyReply) =>
    reply.generateCsrf({ userInfo: csrfUserInfo(reply.request, secure) })

  async function currentLogin(request: FastifyRequest): Promise<Login | undefined> {
    const session = await readSession(request, ctx.storage, ctx.now(), secure)
    if (!session) return undefined
    const user = await ctx.storage.users.findById(session.sub)
    return user && user.disabledAt === null ? { ...session, user } : undefined
  }

  async function issueCode(reply: FastifyReply, request: AuthorizationRequest, login: Login, status: number) {
    const now = ctx.now()
    const grantId = randomUUID()
    await ctx.storage.grants.create(
      {
        id: grantId,
        userId: login.user.id,
        clientId: request.client.client_id,
        scope: request.scopes.join(' '),
        resources: request.resources,
        authTime: login.authTime,
        createdAt: now,
        expiresAt: now + refreshTokenTtl,
      },
      login.id,
    )
    const code = randomToken()
    await ctx.storage.codes.create({
      codeHash: sha256(code),
      grantId,
      clientId: request.client.client_id,
      redirectUri: request.redirectUri,
      redirectUriSent: request.redirectUriSent,
      codeChallenge: request.codeChallenge,
      nonce: request.nonce ?? null,
      createdAt: now,
      expiresAt: now + codeTtl,
    })
    if (request.dpopJkt !== undefined) {
      await ctx.storage.dpopBindings.bind(`code:${sha256(code)}`, request.dpopJkt, now + codeTtl)
    }
    return redirectWith(
      reply,
      status,
      authorizationResponseUrl(request.redirectUri, issuer, { code, state: request.state }),
    )
  }

  /**
   * After login: ask for consent unless the client is first-party or the user already agreed to these scopes.
   * RFC 8252 §8.6: a public (native) client is never approved automatically, because any local process can use
   * its client_id and a loopback redirect URI; it gets the consent page every time, remembered consent or not.
   */
  async function proceed(reply: FastifyReply, request: AuthorizationRequest, login: Login, status: number) {
    const forceConsent = request.prompt === 'consent' || isPublic(request.client)
    if (!request.client.skip_consent || forceConsent) {
      const granted = forceConsent
        ? []
        : await ctx.storage.consents.find(login.user.id, request.client.client_id)
      if (forceConsent || request.scopes.some((scope) => !granted.includes(scope))) {
        if (request.prompt === 'none') {
          return redirectError(reply, status, new ConsentRequired('the user has not consented'), request)
        }
        const csrfToken = formToken(reply)
        return page(reply, 200, consentPage({ request, csrfToken, username: login.user.username }), request)
      }
    }
    return issueCode(reply, request, login, status)
  }

  app.get('/assets/style.css', async (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET),
  )

  // OIDC Core §3.1.2.1: the authorization endpoint takes GET and form POST alike.
  const authorizeWith = async (params: Params, request: FastifyRequest, reply: FastifyReply) => {
    const authRequest = await parse(params, reply, 302)
    if (!authRequest) return reply
    const login = await currentLogin(request)
    // OIDC Core §3.1.2.1: prompt=login, or a sign-in older than max_age seconds (max_age=0: always), forces a
    // fresh authentication.
    const tooOld =
      login && authRequest.maxAge !== undefined && ctx.now() - login.authTime > authRequest.maxAge
    if (!login || tooOld || authRequest.prompt === 'login' || authRequest.maxAge === 0) {
      if (authRequest.prompt === 'none') {
        return redirectError(reply, 302, new LoginRequired('the user is not signed in'), authRequest)
      }
      return page(reply, 200, loginPage({ request: authRequest, csrfToken: formToken(reply) }), authRequest)
    }
    return proceed(reply, authRequest, login, 302)
  }
  // Issue 12, item 12: every request may create a grant and a code, so GET and POST share one limit per source
  // address, counted in the database like the other limits (every replica sees the same count).
  const authorizeLimit = {
    rateLimit: {
      max: ctx.config.rateLimitAuthorizeMax,
      timeWindow: ctx.config.rateLimitWindow * 1000,
      groupId: 'authorize',
    },
  }
  app.get(
    '/authorize',
    { config: authorizeLimit, schema: { querystring: AuthorizationParams } },
    async (request, reply) => authorizeWith(request.query, request, reply),
  )
  app.post(
    '/authorize',
    { config: authorizeLimit, preValidation: absentFormIsEmpty, schema: { body: AuthorizationParams } },
    async (request, reply) => authorizeWith(request.body, request, reply),
  )

  app.post(
    '/login',
    {
      preValidation: absentFormIsEmpty,
      preHandler: app.csrfProtection,
      config: {
        rateLimit: { max: ctx.config.rateLimitLoginMax, timeWindow: ctx.config.rateLimitWindow * 1000 },
      },
      schema: { body: LoginForm },
    },
    async (request, reply) => {
      const { body } = request
      const authRequest = await parse(queryToParams(body.return_to), reply, 303)
      if (!authRequest) return reply
      const username = field(body, 'username', 128) ?? ''
      const password = field(body, 'password') ?? ''
      const again = (status: number, error: string) =>
        page(
          reply,
          status,
          loginPage({ request: authRequest, csrfToken: formToken(reply), username, error }),
          authRequest,
        )

      const attempt = await ctx.throttle.attempt(username, request.ip)
      if (!attempt.allowed) {
        reply.header('retry-after', String(attempt.retryAfter))
        return again(429, `Too many failed sign-in attempts. Try again in ${attempt.retryAfter} seconds.`)
      }
      const user = username ? await ctx.storage.users.findByUsername(username) : undefined
      // Always run scrypt, and give one message for every failure, so no answer reveals whether a user exists.
      const passwordOk = await verifySecret(password, user?.passwordHash ?? (await dummyHash()))
      if (!user || !passwordOk || user.disabledAt !== null) return again(400, 'Invalid username or password.')
      await attempt.succeeded()
      await startSession(reply, ctx.storage, { sub: user.id, authTime: ctx.now() }, sessionTtl, secure)
      // The user just authenticated: prompt=login and max_age are satisfied (auth_time is now), so they are
      // dropped from the request that continues, or it would ask for the password again and again.
      const next = new URLSearchParams(authRequest.query)
      if (next.get('prompt') === 'login') next.delete('prompt')
      next.delete('max_age')
      return redirectWith(reply, 303, `/authorize?${next}`)
    },
  )

  app.post(
    '/consent',
    { preValidation: absentFormIsEmpty, preHandler: app.csrfProtection, schema: { body: ConsentForm } },
    async (request, reply) => {
      const { body } = request
      const authRequest = await parse(queryToParams(body.return_to), reply, 303)
      if (!authRequest) return reply
      const login = await currentLogin(request)
      if (!login)
        return page(reply, 200, loginPage({ request: authRequest, csrfToken: formToken(reply) }), authRequest)
      const decision = field(body, 'decision')
      if (decision === 'deny') {
        return redirectError(reply, 303, new AccessDenied('the user denied the request'), authRequest)
      }
      if (decision !== 'allow')
        return page(reply, 400, errorPage('Unknown decision', 'Choose Allow or Deny.'))
      await ctx.storage.consents.grant(
        login.user.id,
        authRequest.client.client_id,
        authRequest.scopes,
        ctx.now(),
      )
      return issueCode(reply, authRequest, login, 303)
    },
  )
}

export default authorize
