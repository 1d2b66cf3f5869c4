import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { compactVerify, createLocalJWKSet } from 'jose'
import { OAuthError } from '../errors.js'
import { optional, type Params } from '../oauth/params.js'
import { clearSessionCookie, csrfUserInfo, readSession } from '../oauth/session.js'
import { pageCsp } from '../pages/html.js'
import { errorPage, logoutConfirmPage, signedOutPage } from '../pages/pages.js'
import { absentFormIsEmpty } from '../schemas/form.js'
import { LogoutParams } from '../schemas/logout.js'
import type { Client } from '../storage/index.js'

class LogoutError extends Error {}

interface LogoutRequest {
  client: Client | undefined
  /** The user the id_token_hint names, when one was sent and verified. */
  hintSub: string | undefined
  redirectUri: string | undefined
  state: string | undefined
}

/**
 * OpenID Connect RP-Initiated Logout 1.0 (`end_session_endpoint`). An `id_token_hint` must be an ID token this
 * server signed (its signature is checked against our own keys; an expired one is accepted, as §2 allows) and
 * names the client and user. `post_logout_redirect_uri` must exactly match one the client registered. Ending the
 * session deletes its row and revokes the grants created in it (their refresh tokens and, through the status
 * list, their access tokens), in one transaction. Without a hint that matches the session, the user confirms
 * with a CSRF-protected form, so a third-party page cannot sign them out.
 */
const logout: FastifyPluginAsyncTypebox = async (app) => {
  const ctx = app.authServer
  const { issuer } = ctx.config
  const secure = issuer.startsWith('https:')

  const page = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', pageCsp([]))
      .send(body)

  async function verifyHint(hint: string): Promise<{ sub: string; clientId: string }> {
    try {
      const jwks = createLocalJWKSet(await ctx.keys.jwks())
      const { payload, protectedHeader } = await compactVerify(hint, jwks)
      if (protectedHeader.typ === 'at+jwt') throw new LogoutError('id_token_hint is an access token')
      const claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>
      const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
      const clientId = typeof claims.azp === 'string' ? claims.azp : aud.length === 1 ? aud[0] : undefined
      if (claims.iss !== issuer || typeof claims.sub !== 'string' || typeof clientId !== 'string') {
        throw new LogoutError('id_token_hint was not issued by this server')
      }
      return { sub: claims.sub, clientId }
    } catch (error) {
      if (error instanceof LogoutError) throw error
      throw new LogoutError('id_token_hint is not a valid ID token from this server')
    }
  }

  async function parse(params: Params): Promise<LogoutRequest> {
    let hint: string | undefined
    let clientId: string | undefined
    let redirectUri: string | undefined
    let state: string | undefined
    try {
      hint = optional(params, 'id_token_hint')
      clientId = optional(params, 'client_id')
      redirectUri = optional(params, 'post_logout_redirect_uri')
      state = optional(params, 'state')
    } catch (error) {
      if (error instanceof OAuthError) throw new LogoutError(error.message)
      throw error
    }
    let hintSub: string | undefined
    if (hint !== undefined) {
      const verified = await verifyHint(hint)
      if (clientId !== undefined && clientId !== verified.clientId) {
        throw new LogoutError('client_id does not match the id_token_hint')
      }
      clientId = verified.clientId
      hintSub = verified.sub
    }
    const client = clientId === undefined ? undefined : await ctx.storage.clients.find(clientId)
    if (clientId !== undefined && !client) throw new LogoutError('unknown client_id')
    if (redirectUri !== undefined) {
      if (!client) throw new LogoutError('post_logout_redirect_uri needs id_token_hint or client_id')
      if (!(client.post_logout_redirect_uris ?? []).includes(redirectUri)) {
        throw new LogoutError('post_logout_redirect_uri is not registered for this client')
      }
    }
    return { client, hintSub, redirectUri, state }
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, logoutRequest: LogoutRequest) {
    const session = await readSession(request, ctx.storage, ctx.now(), secure)
    if (session) {
      const revoked = await ctx.storage.sessions.end(session.id, ctx.now())
      request.log.info({ sub: session.sub, revokedGrants: revoked }, 'session ended')
    }
    clearSessionCookie(reply, secure)
    if (logoutRequest.redirectUri !== undefined) {
      const target = new URL(logoutRequest.redirectUri)
      if (logoutRequest.state !== undefined) target.searchParams.set('state', logoutRequest.state)
      return reply.redirect(target.toString(), 303)
    }
    return page(reply, 200, signedOutPage())
  }

  async function handle(params: Params, request: FastifyRequest, reply: FastifyReply, confirmed: boolean) {
    let logoutRequest: LogoutRequest
    try {
      logoutRequest = await parse(params)
    } catch (error) {
      if (error instanceof LogoutError) {
        return page(reply, 400, errorPage('This sign-out link is not valid', error.message))
      }
      throw error
    }
    const session = await readSession(request, ctx.storage, ctx.now(), secure)
    const hintMatches = session !== undefined && logoutRequest.hintSub === session.sub
    if (!session || hintMatches || confirmed) return finish(request, reply, logoutRequest)
    const csrfToken = reply.generateCsrf({ userInfo: csrfUserInfo(request, secure) })
    return page(
      reply,
      200,
      logoutConfirmPage({
        csrfToken,
        clientId: logoutRequest.client?.client_id,
        redirectUri: logoutRequest.redirectUri,
        state: logoutRequest.state,
      }),
    )
  }

  app.get('/logout', { schema: { querystring: LogoutParams } }, (request, reply) =>
    handle(request.query, request, reply, false),
  )
  app.post(
    '/logout',
    { preValidation: absentFormIsEmpty, schema: { body: LogoutParams } },
    (request, reply) => handle(request.body, request, reply, false),
  )
  app.post(
    '/logout/confirm',
    { preValidation: absentFormIsEmpty, preHandler: app.csrfProtection, schema: { body: LogoutParams } },
    (request, reply) => handle(request.body, request, reply, true),
  )
}

export default logout
