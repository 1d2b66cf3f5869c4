import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll } from 'vitest'
import { answerGate } from './gate.js'
import { AUDIENCE, generateKey, type TestAlg, type TestKey } from './keys.js'

export type JwksMode = 'ok' | 'down' | 'hang' | 'error' | 'html'

/**
 * A tiny authorization server stand-in on 127.0.0.1:0: serves RFC 8414 metadata and a JWKS, counts requests,
 * and can be told to fail, hang or answer garbage. `issuerPath` puts the issuer under a path (RFC 8414 §3.1).
 */
export interface JwksServer {
  origin: string
  issuer: string
  jwksUri: string
  metadataUri: string
  /** Requests received, per path. */
  hits: Map<string, number>
  total(): number
  jwksHits(): number
  setKeys(keys: TestKey[] | object[]): void
  mode: JwksMode
  /** Metadata `issuer` override (to simulate a mix-up). */
  metadataIssuer: string | undefined
  /** Holds JWKS answers until the returned function is called (to order a fetch after other work). */
  hold(): () => void
  close(): Promise<void>
}

export async function startJwksServer(keys: TestKey[] = [], issuerPath = ''): Promise<JwksServer> {
  let published: object[] = keys.map((k) => ('jwk' in k ? k.jwk : k))
  const hanging = new Set<ServerResponse>()
  const gate = answerGate()
  const state = {
    hits: new Map<string, number>(),
    mode: 'ok' as JwksMode,
    metadataIssuer: undefined as string | undefined,
  }
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    state.hits.set(path, (state.hits.get(path) ?? 0) + 1)
    if (state.mode === 'hang') {
      hanging.add(res)
      return
    }
    if (state.mode === 'down') {
      req.socket.destroy()
      return
    }
    if (state.mode === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"boom"}')
      return
    }
    if (state.mode === 'html') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>')
      return
    }
    const send = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    if (path === `/.well-known/oauth-authorization-server${issuerPath}`) {
      send({ issuer: state.metadataIssuer ?? api.issuer, jwks_uri: api.jwksUri })
    } else if (path === `${issuerPath}/jwks.json`) {
      // The key set is read when the answer goes out, as a real server's would be.
      gate.after(() => send({ keys: published }))
    } else {
      res.writeHead(404).end()
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  const origin = `http://127.0.0.1:${port}`
  const api: JwksServer = {
    origin,
    issuer: `${origin}${issuerPath}`,
    jwksUri: `${origin}${issuerPath}/jwks.json`,
    metadataUri: `${origin}/.well-known/oauth-authorization-server${issuerPath}`,
    hits: state.hits,
    total: () => [...state.hits.values()].reduce((a, b) => a + b, 0),
    jwksHits: () => state.hits.get(`${issuerPath}/jwks.json`) ?? 0,
    setKeys(next) {
      published = next.map((k) => ('jwk' in k ? (k as TestKey).jwk : k))
    },
    get mode() {
      return state.mode
    },
    set mode(m) {
      state.mode = m
    },
    get metadataIssuer() {
      return state.metadataIssuer
    },
    set metadataIssuer(i) {
      state.metadataIssuer = i
    },
    hold: gate.hold,
    async close() {
      for (const res of hanging) res.destroy()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
  return api
}

/**
 * One stand-in authorization server publishing one fresh `alg` key, shared by a whole test file: started before
 * its tests, closed after them. Read `as` and `key` inside tests and hooks, once they have been set.
 */
export function sharedJwksServer(alg: TestAlg): { as: JwksServer; key: TestKey } {
  const file = {} as { as: JwksServer; key: TestKey }
  beforeAll(async () => {
    file.key = generateKey(alg)
    file.as = await startJwksServer([file.key])
  })
  afterAll(() => file.as.close())
  return file
}

/** Verifier options that trust `as`: its issuer and its JWKS, for AUDIENCE. */
export function trusting(as: { issuer: string; jwksUri: string }): {
  issuer: string
  audience: string
  jwksUri: string
} {
  return { issuer: as.issuer, audience: AUDIENCE, jwksUri: as.jwksUri }
}
