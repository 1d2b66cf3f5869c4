import { createHash } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { STATUS_LIST_JWT_MEDIA_TYPE, StatusList, statusListTokenClaims } from '@stateless-auth/status-list'
import { answerGate } from './gate.js'
import { generateKey, signToken, type TestKey } from './keys.js'

/** How the list token goes out: correct, or broken in one way (to check each makes the list unusable). */
export type ListFault = 'none' | 'typ' | 'sub' | 'signature' | 'expired' | 'down'

/**
 * A test authorization server on 127.0.0.1:0: a JWKS and one status list token at `/status-lists/1`, signed with
 * the JWKS key, with ETag / 304 like the real auth-server. Counts list requests.
 */
export interface StatusIssuer {
  origin: string
  issuer: string
  jwksUri: string
  listUri: string
  key: TestKey
  list: StatusList
  ttl: number
  fault: ListFault
  /** List requests received, and how many of them were answered 304. */
  listHits: number
  notModified: number
  /** Holds list answers until the returned function is called. */
  hold(): () => void
  close(): Promise<void>
}

/**
 * `publicOrigin`: the issuer as tokens name it (like http://localhost:4000 seen from a container); `issuer`, `sub`
 * and `listUri` then use it while the server itself listens on 127.0.0.1 (`origin`), the internal address.
 */
export async function startStatusIssuer(
  options: { ttl?: number; size?: number; publicOrigin?: string } = {},
): Promise<StatusIssuer> {
  const key = generateKey('ES256')
  const other = generateKey('ES256', key.kid)
  const gate = answerGate()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    if (path === '/jwks.json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [key.jwk] }))
      return
    }
    if (path !== '/status-lists/1') {
      res.writeHead(404).end()
      return
    }
    state.listHits++
    const answer = () => {
      if (state.fault === 'down') {
        req.socket.destroy()
        return
      }
      const jwt = listToken()
      const etag = `"${createHash('sha256').update(jwt).digest('base64url')}"`
      if (req.headers['if-none-match'] === etag) {
        state.notModified++
        res.writeHead(304, { etag }).end()
        return
      }
      res.writeHead(200, { 'content-type': STATUS_LIST_JWT_MEDIA_TYPE, etag }).end(jwt)
    }
    gate.after(answer)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const issuer = options.publicOrigin ?? origin
  const listUri = `${issuer}/status-lists/1`
  // Signed once per list content and fault, so an unchanged list is the same token (and ETag), as the auth-server's.
  let cached: { for: string; jwt: string } | undefined
  const listToken = (): string => {
    const lst = state.list.encode()
    const cacheKey = `${lst}|${state.fault}|${state.ttl}`
    if (cached?.for === cacheKey) return cached.jwt
    const now = Math.floor(Date.now() / 1000)
    const signedAt = state.fault === 'expired' ? now - 3600 : now
    const claims = statusListTokenClaims({
      sub: state.fault === 'sub' ? `${issuer}/status-lists/2` : listUri,
      iat: signedAt,
      exp: signedAt + (state.fault === 'expired' ? 60 : 3600),
      ttl: state.ttl,
      list: state.list,
    })
    const jwt = signToken(key, claims, {
      header: { typ: state.fault === 'typ' ? 'at+jwt' : 'statuslist+jwt' },
      ...(state.fault === 'signature' ? { signWith: other.privateKey } : {}),
    })
    cached = { for: cacheKey, jwt }
    return jwt
  }
  const state: StatusIssuer = {
    origin,
    issuer,
    jwksUri: `${origin}/jwks.json`,
    listUri,
    key,
    list: new StatusList(options.size ?? 1024, 2),
    ttl: options.ttl ?? 60,
    fault: 'none',
    listHits: 0,
    notModified: 0,
    hold: gate.hold,
    async close() {
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return state
}
