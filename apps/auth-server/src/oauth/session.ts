import type { FastifyReply, FastifyRequest } from 'fastify'
import { randomToken, sha256 } from '../crypto.js'
import type { Storage } from '../storage/index.js'

/**
 * The browser's login at this server. The cookie holds only a random id (signed); the session itself is a row in
 * the `sessions` table, so sign-out (RP-Initiated Logout) and disabling a user really end it (issue 12, item 4).
 */
export interface LoginSession {
  /** SHA-256 of the cookie's id, as stored; grants created in the session remember it. */
  id: string
  sub: string
  authTime: number
}

/** `__Host-` (RFC 6265bis §4.1.3.2): Secure, Path=/, no Domain, so no sibling host can plant or shadow it. */
export const sessionCookieName = (secure: boolean) => (secure ? '__Host-sa_session' : 'sa_session')

/** The hash of the signed session id the request carries, or undefined (no cookie, bad signature). */
export function sessionIdHash(request: FastifyRequest, secure: boolean): string | undefined {
  const raw = request.cookies[sessionCookieName(secure)]
  if (!raw) return undefined
  const unsigned = request.unsignCookie(raw)
  if (!unsigned.valid || unsigned.value === null) return undefined
  return sha256(unsigned.value)
}

export async function readSession(
  request: FastifyRequest,
  storage: Storage,
  now: number,
  secure: boolean,
): Promise<LoginSession | undefined> {
  const idHash = sessionIdHash(request, secure)
  if (!idHash) return undefined
  const session = await storage.sessions.find(idHash, now)
  return session && { id: session.idHash, sub: session.userId, authTime: session.authTime }
}

/** Starts a new session (a fresh id on every sign-in: no session fixation) and sets its cookie. */
export async function startSession(
  reply: FastifyReply,
  storage: Storage,
  user: { sub: string; authTime: number },
  ttl: number,
  secure: boolean,
): Promise<void> {
  const id = randomToken()
  await storage.sessions.create(
    { idHash: sha256(id), userId: user.sub, authTime: user.authTime, expiresAt: user.authTime + ttl },
    user.authTime,
  )
  reply.setCookie(sessionCookieName(secure), id, {
    signed: true,
    httpOnly: true,
    // Lax: the session must survive the top-level navigation from the client's site to /authorize.
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: ttl,
  })
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  reply.clearCookie(sessionCookieName(secure), { path: '/', secure, httpOnly: true, sameSite: 'lax' })
}

/**
 * What CSRF tokens are bound to: the session the browser holds, or `anonymous` before sign-in. The CSRF secret
 * cookie outlives a sign-in, so without this a secret planted in the browser beforehand (or copied from another
 * browser) would still post forms for whoever signs in next.
 */
export function csrfUserInfo(request: FastifyRequest, secure: boolean): string {
  const idHash = sessionIdHash(request, secure)
  // Never empty: @fastify/csrf refuses an empty userInfo.
  return idHash ? `session:${idHash}` : 'anonymous'
}
