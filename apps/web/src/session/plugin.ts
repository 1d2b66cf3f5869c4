import cookie, { type CookieSerializeOptions } from '@fastify/cookie'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { WebConfig } from '../config.js'
import type { SessionStore } from './store.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** The opaque id from the signed session cookie, when it carries a valid signature. */
    sessionId: string | undefined
  }
  interface FastifyInstance {
    sessions: SessionStore
  }
}

export const SESSION_COOKIE = 'sid'

/** `HttpOnly` keeps the id from scripts, `SameSite=Lax` from cross-site POSTs, `Secure` when served on https. */
export function sessionCookieOptions(config: WebConfig): CookieSerializeOptions {
  return {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: config.publicUrl.startsWith('https:'),
    signed: true,
    maxAge: config.sessionTtl,
  }
}

async function session(app: FastifyInstance, { config, store }: { config: WebConfig; store: SessionStore }) {
  await app.register(cookie, { secret: config.sessionSecret })
  app.decorate('sessions', store)
  app.decorateRequest('sessionId', undefined)
  app.addHook('onRequest', async (request) => {
    const raw = request.cookies[SESSION_COOKIE]
    if (!raw) return
    const unsigned = request.unsignCookie(raw)
    if (unsigned.valid && unsigned.value) request.sessionId = unsigned.value
  })
}

export default fp(session, { name: 'web-session', fastify: '5.x' })
