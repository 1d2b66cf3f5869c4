import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { backends, type TestStore } from '@stateless-auth/sql/testing'
import { base64url, calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose'
import * as client from 'openid-client'
import { beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { authorizeUrl, Browser, basic, freshStores, obtainCode, post, redeem, start } from './helpers.js'

interface ProofKey {
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey']
  jwk: JWK
  jkt: string
  alg: string
}

async function proofKey(alg = 'ES256'): Promise<ProofKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk), alg }
}

/** A DPoP proof JWT (RFC 9449 §4.2); `claims` and `header` override the defaults to build bad ones. */
async function proof(
  key: ProofKey,
  htu: string,
  options: {
    htm?: string
    claims?: Record<string, unknown>
    header?: Record<string, unknown>
    ath?: string
  } = {},
) {
  const claims = {
    htm: options.htm ?? 'POST',
    htu,
    jti: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    ...(options.ath === undefined ? {} : { ath: options.ath }),
    ...options.claims,
  }
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk, ...options.header } as never)
    .sign(key.privateKey)
}

const sha256 = async (value: string) =>
  base64url.encode(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value))))

const clientCredentials = (url: string, headers: Record<string, string> = {}) =>
  post(
    `${url}/token`,
    { grant_type: 'client_credentials', scope: 'inventory:read' },
    { ...basic('orders-api', 'orders-api-secret'), ...headers },
  )

const decode = (jwt: string) =>
  JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>

/** The public demo-cli client through /authorize, optionally with dpop_jkt; returns its code and verifier. */
async function publicCode(url: string, dpopJkt?: string) {
  const verifier = client.randomPKCECodeVerifier()
  const authorize = await authorizeUrl(
    url,
    {
      client_id: 'demo-cli',
      redirect_uri: 'http://127.0.0.1:5555/callback',
      scope: 'openid offline_access orders:read',
      state: 's',
      dpop_jkt: dpopJkt ?? null,
    },
    verifier,
  )
  const callback = await new Browser().authorize(authorize, { consent: 'allow' })
  const code = callback.searchParams.get('code')
  if (!code) throw new Error(`no code in ${callback}`)
  return { code, verifier }
}

const redeemPublic = (
  url: string,
  code: { code: string; verifier: string },
  headers: Record<string, string> = {},
) =>
  post(
    `${url}/token`,
    {
      grant_type: 'authorization_code',
      client_id: 'demo-cli',
      code: code.code,
      code_verifier: code.verifier,
      redirect_uri: 'http://127.0.0.1:5555/callback',
    },
    headers,
  )

const refreshPublic = (url: string, token: string, headers: Record<string, string> = {}) =>
  post(`${url}/token`, { grant_type: 'refresh_token', client_id: 'demo-cli', refresh_token: token }, headers)

describe('DPoP at the token endpoint (RFC 9449 §5)', () => {
  it('binds client credentials tokens to the proof key: cnf.jkt and token_type DPoP', async () => {
    const server = await start()
    const key = await proofKey()
    const response = await clientCredentials(server.url, { dpop: await proof(key, `${server.url}/token`) })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { access_token: string; token_type: string }
    expect(body.token_type).toBe('DPoP')
    expect(decode(body.access_token).cnf).toEqual({ jkt: key.jkt })
    // Without a proof it stays a Bearer token without cnf.
    const bearer = (await (await clientCredentials(server.url)).json()) as {
      access_token: string
      token_type: string
    }
    expect(bearer.token_type).toBe('Bearer')
    expect(decode(bearer.access_token).cnf).toBeUndefined()
  })

  it('binds authorization code and refresh token grants (confidential client)', async () => {
    const server = await start()
    const key = await proofKey('EdDSA')
    const code = await obtainCode(server.url)
    const redeemed = await redeem(server.url, code, {}, { dpop: await proof(key, `${server.url}/token`) })
    expect(redeemed.status).toBe(200)
    const tokens = (await redeemed.json()) as {
      access_token: string
      refresh_token: string
      token_type: string
    }
    expect(tokens.token_type).toBe('DPoP')
    expect(decode(tokens.access_token).cnf).toEqual({ jkt: key.jkt })
    const refreshed = await post(
      `${server.url}/token`,
      { grant_type: 'refresh_token', refresh_token: tokens.refresh_token },
      { ...basic('web', 'web-secret'), dpop: await proof(key, `${server.url}/token`) },
    )
    expect(refreshed.status).toBe(200)
    const again = (await refreshed.json()) as { access_token: string; token_type: string }
    expect(again.token_type).toBe('DPoP')
    expect(decode(again.access_token).cnf).toEqual({ jkt: key.jkt })
  })

  it('publishes dpop_signing_alg_values_supported', async () => {
    const server = await start()
    const metadata = (await (
      await fetch(`${server.url}/.well-known/oauth-authorization-server`)
    ).json()) as Record<string, unknown>
    expect(metadata.dpop_signing_alg_values_supported).toEqual(['ES256', 'EdDSA', 'PS256', 'RS256'])
  })

  it('refuses bad proofs with 400 invalid_dpop_proof, never a 500', async () => {
    const server = await start()
    const key = await proofKey()
    const htu = `${server.url}/token`
    const now = Math.floor(Date.now() / 1000)
    const { jwk: privateJwk } = { jwk: await exportJWK(key.privateKey) }
    const hmac = new TextEncoder().encode('a-shared-secret-of-32-bytes-long!')
    const header = (h: object) => Buffer.from(JSON.stringify(h)).toString('base64url')
    const payload = Buffer.from(JSON.stringify({ htm: 'POST', htu, jti: randomUUID(), iat: now })).toString(
      'base64url',
    )
    const cases: Record<string, string | string[]> = {
      'wrong htu': await proof(key, `${server.url}/userinfo`),
      'htu on another port': await proof(
        key,
        htu.replace(/:(\d+)/, (_, p) => `:${Number(p) + 1}`),
      ),
      'wrong htm': await proof(key, htu, { htm: 'GET' }),
      'stale iat': await proof(key, htu, { claims: { iat: now - 3600 } }),
      'future iat': await proof(key, htu, { claims: { iat: now + 3600 } }),
      'typ JWT': await proof(key, htu, { header: { typ: 'JWT' } }),
      'private key in jwk': await proof(key, htu, { header: { jwk: privateJwk } }),
      'alg none': `${header({ typ: 'dpop+jwt', alg: 'none', jwk: key.jwk })}.${payload}.`,
      HS256: await new SignJWT({ htm: 'POST', htu, jti: randomUUID(), iat: now })
        .setProtectedHeader({ typ: 'dpop+jwt', alg: 'HS256', jwk: key.jwk } as never)
        .sign(hmac),
      'bad signature': `${(await proof(key, htu)).slice(0, -4)}AAAA`,
      'not a JWS': 'not-a-proof',
      'no jti': await proof(key, htu, { claims: { jti: undefined } }),
      'two proofs': [await proof(key, htu), await proof(key, htu)],
    }
    for (const [name, dpop] of Object.entries(cases)) {
      const headers = new Headers(basic('orders-api', 'orders-api-secret'))
      headers.set('content-type', 'application/x-www-form-urlencoded')
      for (const value of Array.isArray(dpop) ? dpop : [dpop]) headers.append('dpop', value)
      const response = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      })
      expect(response.status, name).toBe(400)
      expect(((await response.json()) as { error: string }).error, name).toBe('invalid_dpop_proof')
    }
  })

  it('refuses a client registered with dpop_bound_access_tokens when it sends no proof', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dpop-clients-'))
    const file = join(dir, 'clients.json')
    const clients = JSON.parse(readFileSync(new URL('../clients.json', import.meta.url), 'utf8')) as {
      clients: Record<string, unknown>[]
    }
    for (const entry of clients.clients)
      if (entry.client_id === 'orders-api') entry.dpop_bound_access_tokens = true
    writeFileSync(file, JSON.stringify(clients))
    const server = await start({ CLIENTS_FILE: file })
    const refused = await clientCredentials(server.url)
    expect(refused.status).toBe(400)
    expect(await refused.json()).toMatchObject({ error: 'invalid_dpop_proof' })
    const key = await proofKey()
    expect(
      (await clientCredentials(server.url, { dpop: await proof(key, `${server.url}/token`) })).status,
    ).toBe(200)
  })

  it('asks for a server nonce when DPOP_NONCE_SECRET is set (use_dpop_nonce, §8), then accepts it', async () => {
    const server = await start({ DPOP_NONCE_SECRET: 'n'.repeat(40) })
    const key = await proofKey()
    const first = await clientCredentials(server.url, { dpop: await proof(key, `${server.url}/token`) })
    expect(first.status).toBe(400)
    expect(await first.json()).toMatchObject({ error: 'use_dpop_nonce' })
    const nonce = first.headers.get('dpop-nonce')
    expect(nonce).toBeTruthy()
    const retry = await clientCredentials(server.url, {
      dpop: await proof(key, `${server.url}/token`, { claims: { nonce } }),
    })
    expect(retry.status).toBe(200)
    expect(retry.headers.get('dpop-nonce')).toBe(nonce)
    const forged = await clientCredentials(server.url, {
      dpop: await proof(key, `${server.url}/token`, { claims: { nonce: `${nonce}x` } }),
    })
    expect(forged.status).toBe(400)
    expect(await forged.json()).toMatchObject({ error: 'use_dpop_nonce' })
  })

  it('shows cnf and token_type DPoP at introspection', async () => {
    const server = await start()
    const key = await proofKey()
    const { access_token } = (await (
      await clientCredentials(server.url, { dpop: await proof(key, `${server.url}/token`) })
    ).json()) as { access_token: string }
    const introspected = await post(
      `${server.url}/introspect`,
      { token: access_token },
      basic('orders-api', 'orders-api-secret'),
    )
    expect(await introspected.json()).toMatchObject({
      active: true,
      token_type: 'DPoP',
      cnf: { jkt: key.jkt },
    })
  })

  it('accepts DPoP at /userinfo with a proof of the bound key, refuses the bound token as Bearer', async () => {
    const server = await start()
    const key = await proofKey()
    const code = await obtainCode(server.url, { scope: 'openid profile' })
    const redeemed = await redeem(
      server.url,
      code,
      { resource: `${server.url}/userinfo` },
      { dpop: await proof(key, `${server.url}/token`) },
    )
    const { access_token } = (await redeemed.json()) as { access_token: string }
    const userinfo = `${server.url}/userinfo`
    const ath = await sha256(access_token)
    const ok = await fetch(userinfo, {
      headers: {
        authorization: `DPoP ${access_token}`,
        dpop: await proof(key, userinfo, { htm: 'GET', ath }),
      },
    })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ sub: 'alice' })

    const asBearer = await fetch(userinfo, { headers: { authorization: `Bearer ${access_token}` } })
    expect(asBearer.status).toBe(401)

    const thief = await proofKey()
    const stolen = await fetch(userinfo, {
      headers: {
        authorization: `DPoP ${access_token}`,
        dpop: await proof(thief, userinfo, { htm: 'GET', ath }),
      },
    })
    expect(stolen.status).toBe(401)
    expect(stolen.headers.get('www-authenticate')).toMatch(/^DPoP .*error="invalid_dpop_proof"/)

    const noAth = await fetch(userinfo, {
      headers: { authorization: `DPoP ${access_token}`, dpop: await proof(key, userinfo, { htm: 'GET' }) },
    })
    expect(noAth.status).toBe(401)
    expect(noAth.headers.get('www-authenticate')).toMatch(/error="invalid_dpop_proof"/)
  })
})

describe.each(backends())('DPoP state in the database (%s)', (backend) => {
  const newStore = freshStores(backend)
  let store: TestStore
  beforeEach(async () => {
    store = await newStore()
  })

  it('refuses a replayed proof jti, also at another replica on the same database', async () => {
    const one = await start({ DATABASE_URL: store.url })
    const key = await proofKey()
    const captured = await proof(key, `${one.url}/token`)
    expect((await clientCredentials(one.url, { dpop: captured })).status).toBe(200)
    const replay = await clientCredentials(one.url, { dpop: captured })
    expect(replay.status).toBe(400)
    expect(await replay.json()).toMatchObject({ error: 'invalid_dpop_proof' })

    // A second replica behind the same public URL (the issuer), sharing the database: it must refuse the proof
    // the first one accepted, and the first must refuse what the second accepted.
    const twin = await buildApp(loadConfig({ DATABASE_URL: store.url, ISSUER: one.url }))
    try {
      const atTwin = (dpop: string) =>
        twin.inject({
          method: 'POST',
          url: '/token',
          headers: {
            ...basic('orders-api', 'orders-api-secret'),
            'content-type': 'application/x-www-form-urlencoded',
            dpop,
          },
          payload: 'grant_type=client_credentials',
        })
      const replayedAtTwin = await atTwin(captured)
      expect(replayedAtTwin.statusCode).toBe(400)
      expect(replayedAtTwin.json()).toMatchObject({ error: 'invalid_dpop_proof' })
      const fresh = await proof(key, `${one.url}/token`)
      expect((await atTwin(fresh)).statusCode).toBe(200)
      const back = await clientCredentials(one.url, { dpop: fresh })
      expect(back.status).toBe(400)
      expect(await back.json()).toMatchObject({ error: 'invalid_dpop_proof' })
    } finally {
      await twin.close()
    }
  })

  it("binds a public client's refresh token to its proof key", async () => {
    const server = await start({ DATABASE_URL: store.url })
    const key = await proofKey()
    const htu = `${server.url}/token`
    const code = await publicCode(server.url)
    const redeemed = await redeemPublic(server.url, code, { dpop: await proof(key, htu) })
    expect(redeemed.status).toBe(200)
    const tokens = (await redeemed.json()) as { refresh_token: string; token_type: string }
    expect(tokens.token_type).toBe('DPoP')

    const without = await refreshPublic(server.url, tokens.refresh_token)
    expect(without.status).toBe(400)
    expect(await without.json()).toMatchObject({ error: 'invalid_grant' })
    const thief = await proofKey()
    const other = await refreshPublic(server.url, tokens.refresh_token, { dpop: await proof(thief, htu) })
    expect(other.status).toBe(400)
    expect(await other.json()).toMatchObject({ error: 'invalid_grant' })
    // Neither attempt burnt the token: its holder still refreshes, and the new token is bound too.
    const rightful = await refreshPublic(server.url, tokens.refresh_token, { dpop: await proof(key, htu) })
    expect(rightful.status).toBe(200)
    const next = (await rightful.json()) as { refresh_token: string }
    expect((await refreshPublic(server.url, next.refresh_token)).status).toBe(400)
  })

  it('binds the code to dpop_jkt from /authorize (§10)', async () => {
    const server = await start({ DATABASE_URL: store.url })
    const key = await proofKey()
    const htu = `${server.url}/token`
    const noProof = await redeemPublic(server.url, await publicCode(server.url, key.jkt))
    expect(noProof.status).toBe(400)
    expect(await noProof.json()).toMatchObject({ error: 'invalid_grant' })
    const thief = await proofKey()
    const wrongKey = await redeemPublic(server.url, await publicCode(server.url, key.jkt), {
      dpop: await proof(thief, htu),
    })
    expect(wrongKey.status).toBe(400)
    const right = await redeemPublic(server.url, await publicCode(server.url, key.jkt), {
      dpop: await proof(key, htu),
    })
    expect(right.status).toBe(200)
    const malformed = await fetch(
      `${server.url}/authorize?${new URLSearchParams({ client_id: 'demo-cli', redirect_uri: 'http://127.0.0.1:5555/callback', response_type: 'code', scope: 'openid', code_challenge: 'a'.repeat(43), code_challenge_method: 'S256', dpop_jkt: 'short' })}`,
      { redirect: 'manual' },
    )
    expect(malformed.status).toBe(302)
    expect(malformed.headers.get('location')).toMatch(/error=invalid_request/)
  })
})
