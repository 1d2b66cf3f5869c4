import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type StartedAuthServer, startAuthServer } from '../src/testing.js'

// Counterexamples the property suites (*.properties.test.ts) found, kept as plain examples so they stay fixed
// whatever seed a property run draws.

let server: StartedAuthServer

beforeAll(async () => {
  server = await startAuthServer({ LOG_LEVEL: 'silent' })
})

afterAll(async () => {
  await server?.close()
})

const authorize = (redirectUri: string) =>
  server.app.inject({
    url: `/authorize?${new URLSearchParams({
      response_type: 'code',
      client_id: 'demo-cli',
      redirect_uri: redirectUri,
      scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
    })}`,
  })

describe('redirect URIs (found by redirect-uris.properties.test.ts)', () => {
  it('refuses the loopback redirect on port 0, which no native app can listen on (RFC 8252 §7.3)', async () => {
    const res = await authorize('http://127.0.0.1:0/callback')
    expect(res.statusCode).toBe(400)
    expect(res.headers.location).toBeUndefined()
    expect(res.body).toContain('redirect_uri is not registered for this client')
    // Any real port still works.
    expect((await authorize('http://127.0.0.1:1/callback')).statusCode).toBe(200)
  })
})
