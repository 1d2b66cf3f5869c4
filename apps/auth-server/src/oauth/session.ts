import type { FastifyReply, FastifyRequest } from 'fastify'

/** The browser's login at this server: a signed cookie, so no server-side session table is needed. */
export interface LoginSession {
  sub: string
  authTime: number
}

export const SESSION_COOKIE = 'sa_session'

export function readSession(request: FastifyRequest, now: number, ttl: number): LoginSession | undefined {
  const raw = request.cookies[SESSION_COOKIE]
  if (!raw) return undefined
  const unsigned = request.unsignCookie(raw)
  if (!unsigned.valid || unsigned.value === null) return undefined
  try {
    const value = JSON.parse(unsigned.value) as Partial<LoginSession>
    if (typeof value.sub !== 'string' || typeof value.authTime !== 'number') return undefined
    if (value.authTime + ttl <= now) return undefined
    return { sub: value.sub, authTime: value.authTime }
  } catch {
    return undefined
  }
}

export function writeSession(reply: FastifyReply, session: LoginSession, ttl: number, secure: boolean): void {
  reply.setCookie(SESSION_COOKIE, JSON.stringify(session), {
    signed: true,
    httpOnly: true,
    // Lax: the session must survive the top-level navigation from the client's site to /authorize.
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: ttl,
  })
}

/**
 * What CSRF tokens are bound to: the signed-in user, or `anonymous` before sign-in. The CSRF secret cookie outlives a
 * sign-in, so without this a secret planted in the browser beforehand (or copied from another browser) would
 * still post forms for whoever signs in next: the session-fixation hole a stateless session leaves open.
 */
export function csrfUserInfo(request: FastifyRequest, now: number, ttl: number): string {
  const session = readSession(request, now, ttl)
  // Never empty: @fastify/csrf refuses an empty userInfo.
  return session ? `user:${session.sub}` : 'anonymous'
}
