import { test } from '@fast-check/vitest'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect } from 'vitest'
import { type StartedAuthServer, startAuthServer } from '../src/testing.js'

// Issue 15, scenario 6: a redirect URI is accepted only when it equals a registered one character for character
// (RFC 9700 §4.1.3), or, for the native demo-cli client, is its loopback URI on another port (RFC 8252 §7.3).
// Candidates are near-misses of the registered URIs. PROPERTY_RUNS=10000 for the full run (docs/properties.md).
const numRuns = Number(process.env.PROPERTY_RUNS) || 300
// A safety net, not a speed check: a loaded machine may take far longer than usual per case.
const timeout = 60_000 + numRuns * 500

const REGISTERED: Record<string, string> = {
  web: 'http://localhost:3000/auth/callback',
  'demo-cli': 'http://127.0.0.1/callback',
}

/**
 * The rule, written independently of the code: the exact string, or for demo-cli `http://` + a loopback literal +
 * an optional port a listener can have (1-65535, as written by a URL serializer: no leading zero, not the default
 * 80) + the registered path.
 */
function shouldAccept(clientId: string, candidate: string): boolean {
  if (candidate === REGISTERED[clientId]) return true
  if (clientId !== 'demo-cli') return false
  const match = /^http:\/\/(?:127\.0\.0\.1|\[::1\])(?::([1-9]\d{0,4}))?\/callback$/.exec(candidate)
  if (!match) return false
  const port = match[1] === undefined ? undefined : Number(match[1])
  return port === undefined || (port <= 65535 && port !== 80)
}

let server: StartedAuthServer

beforeAll(async () => {
  server = await startAuthServer({ LOG_LEVEL: 'silent', RATE_LIMIT_AUTHORIZE_MAX: '1000000' })
})

afterAll(async () => {
  await server?.close()
})

const at = (s: string, i: number) => i % (s.length + 1)
const insert = (s: string, i: number, text: string) => s.slice(0, at(s, i)) + text + s.slice(at(s, i))
/** Splits a URI into scheme://, authority and the rest (path, query, fragment). */
function parts(uri: string) {
  const match = /^([a-z]+:\/\/)([^/]*)(.*)$/.exec(uri)!
  return { scheme: match[1]!, authority: match[2]!, rest: match[3]! }
}

const hosts = [
  'localhost',
  '127.0.0.1',
  '[::1]',
  'LOCALHOST',
  '127.1',
  '0x7f.0.0.1',
  '[0:0:0:0:0:0:0:1]',
  'evil.example',
]
const ports = fc.oneof(
  fc.constantFrom(
    '',
    ':',
    ':0',
    ':80',
    ':080',
    ':3000',
    ':03000',
    ':3001',
    ':443',
    ':65535',
    ':65536',
    ':99999',
  ),
  fc.integer({ min: 0, max: 70000 }).map((p) => `:${p}`),
)
const unicode = ['\u0131', '\u212a', '\uff4c', '\u200b', '\u00a0', '\u0430', '\ufeff', '\u2215', '\uff0f']

/** Near-misses of `uri`: one change a careless or malicious client might make. */
function nearMiss(uri: string): fc.Arbitrary<string> {
  const { scheme, authority, rest } = parts(uri)
  const host = authority.replace(/:\d+$/, '')
  return fc.oneof(
    fc.constant(uri),
    // Case changes anywhere (scheme and host are case-insensitive to a URL parser, not to string comparison).
    fc.nat().map((i) => {
      const j = i % uri.length
      const c = uri[j]!
      const swapped = c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()
      return uri.slice(0, j) + swapped + uri.slice(j + 1)
    }),
    fc.constantFrom('/', '//', '/.', '/..', '/x', '/../callback', '%2F', '%2e', ';x', '.', '\\'),
    fc.constantFrom('?', '?x=1', '?code=1', '#', '#x', '?#', '&x=1').map((suffix) => uri + suffix),
    fc.constantFrom('/', '//', '/x', '/.').map((suffix) => uri + suffix),
    fc
      .constantFrom('user@', 'user:pass@', '@', ':@', 'localhost@', '127.0.0.1@', 'evil.example@')
      .map((info) => `${scheme}${info}${authority}${rest}`),
    ports.map((port) => `${scheme}${host}${port}${rest}`),
    fc.tuple(fc.constantFrom(...hosts), ports).map(([h, port]) => `${scheme}${h}${port}${rest}`),
    fc
      .constantFrom('https://', 'HTTP://', 'http:/', 'http:///', '//', 'http:\\\\', ' http://')
      .map((s) => `${s}${authority}${rest}`),
    // Percent-encoding one character that needed none.
    fc.nat().map((i) => {
      const j = scheme.length + (i % (uri.length - scheme.length))
      const hex = uri.charCodeAt(j).toString(16).toUpperCase().padStart(2, '0')
      return `${uri.slice(0, j)}%${hex}${uri.slice(j + 1)}`
    }),
    fc.tuple(fc.nat(), fc.constantFrom(...unicode)).map(([i, u]) => insert(uri, i, u)),
    fc.tuple(fc.nat(), fc.constantFrom(...unicode)).map(([i, u]) => {
      const j = i % uri.length
      return uri.slice(0, j) + u + uri.slice(j + 1)
    }),
    fc.constantFrom(' ', '\t', '\n', '%20', '%00').map((pad) => pad + uri),
    fc.constantFrom(' ', '\t', '\n', '%20', '%00').map((pad) => uri + pad),
    fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 3 })).map(([i, s]) => insert(uri, i, s)),
    fc.nat().map((i) => uri.slice(0, i % uri.length) + uri.slice((i % uri.length) + 1)),
  )
}

const anyRegistered = fc.constantFrom(...Object.values(REGISTERED))
const candidate = anyRegistered.chain(nearMiss)

describe('generated redirect URIs are accepted only if they equal a registered one', () => {
  test.prop([fc.constantFrom('web', 'demo-cli'), candidate], { numRuns })(
    'GET /authorize: the login page for a registered URI, an error page (no redirect) for any other',
    async (clientId, redirectUri) => {
      const res = await server.app.inject({
        url: `/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: clientId,
          redirect_uri: redirectUri,
          scope: 'openid',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
        })}`,
      })
      expect(res.headers['content-type']).toMatch(/^text\/html/)
      if (shouldAccept(clientId, redirectUri)) {
        expect(res.statusCode, res.body).toBe(200)
        expect(res.body).toContain('action="/login"')
      } else {
        // RFC 6749 §4.1.2.1: an unverified redirect URI is never redirected to.
        expect(res.statusCode, res.body).toBe(400)
        expect(res.headers.location).toBeUndefined()
        expect(res.body).toContain('redirect_uri')
      }
    },
    timeout,
  )
})
