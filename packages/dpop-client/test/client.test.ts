import { createHash } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { DpopClient, DpopKey } from '@stateless-auth/dpop-client'
import { decodeProtectedHeader, EmbeddedJWK, jwtVerify } from 'jose'
import { afterEach, describe, expect, it } from 'vitest'

interface Seen {
  method: string
  url: string
  headers: IncomingHttpHeaders
  body: string
  proof: Record<string, unknown>
}

type Answer = (seen: Seen, res: ServerResponse, n: number) => void

const servers: Array<{ close: () => void }> = []
afterEach(() => {
  for (const s of servers.splice(0)) s.close()
})

/** A server on 127.0.0.1:0 that checks each request's proof with jose and answers with `answer`. */
async function serve(answer: Answer) {
  const seen: Seen[] = []
  const server = createServer(async (req, res) => {
    let body = ''
    for await (const chunk of req) body += chunk
    const dpop = String(req.headers.dpop ?? '')
    const proof = dpop
      ? (await jwtVerify(dpop, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ['ES256'] })).payload
      : {}
    const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, proof }
    seen.push(entry)
    answer(entry, res, seen.length)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  servers.push(server)
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return { base, seen }
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) =>
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))

const askNonce401 = (res: ServerResponse, nonce: string) =>
  res
    .writeHead(401, {
      'www-authenticate': 'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce"',
      'dpop-nonce': nonce,
    })
    .end()

describe('requests with DPoP proofs', () => {
  it('sends the token with the DPoP scheme and a proof naming the request and the token', async () => {
    const { base, seen } = await serve((_s, res) => json(res, 200, { ok: true }))
    const client = new DpopClient(DpopKey.generate())
    const token = 'access-token-value'
    const res = await client.fetch(`${base}/orders?page=2`, {
      accessToken: token,
      headers: { accept: 'application/json' },
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ ok: true })
    expect(seen).toHaveLength(1)
    const [request] = seen
    expect(request!.headers.authorization).toBe(`DPoP ${token}`)
    expect(request!.headers.accept).toBe('application/json')
    expect(request!.proof).toMatchObject({
      htm: 'GET',
      htu: `${base}/orders`,
      ath: createHash('sha256').update(token).digest('base64url'),
    })
    expect(request!.proof).not.toHaveProperty('nonce')
  })

  it('retries once with the nonce a resource server asks for (RFC 9449 §9), and keeps it for the origin', async () => {
    const { base, seen } = await serve((s, res) =>
      s.proof.nonce === 'rs-nonce-1' ? json(res, 200, { ok: true }) : askNonce401(res, 'rs-nonce-1'),
    )
    const client = new DpopClient(DpopKey.generate())
    const first = await client.fetch(`${base}/orders`, { accessToken: 't' })
    expect(first.status).toBe(200)
    expect(seen.map((s) => s.proof.nonce)).toEqual([undefined, 'rs-nonce-1'])
    expect(seen[1]!.proof.jti).not.toBe(seen[0]!.proof.jti)
    // The next request to the same origin carries the nonce from the start: one round trip.
    const second = await client.fetch(`${base}/inventory`, { accessToken: 't' })
    expect(second.status).toBe(200)
    expect(seen.map((s) => s.proof.nonce)).toEqual([undefined, 'rs-nonce-1', 'rs-nonce-1'])
  })

  it('retries a token request once on 400 use_dpop_nonce (RFC 9449 §8), resending the form and naming htu', async () => {
    const { base, seen } = await serve((s, res) =>
      s.proof.nonce === 'as-nonce'
        ? json(res, 200, { access_token: 'at', token_type: 'DPoP' })
        : json(res, 400, { error: 'use_dpop_nonce' }, { 'dpop-nonce': 'as-nonce' }),
    )
    const client = new DpopClient(DpopKey.generate())
    const res = await client.fetch(`${base}/internal/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'rt' }),
      htu: 'https://as.example/token',
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ access_token: 'at' })
    expect(seen).toHaveLength(2)
    for (const s of seen) {
      expect(s.body).toBe('grant_type=refresh_token&refresh_token=rt')
      expect(s.headers.authorization).toBeUndefined()
      expect(s.proof).toMatchObject({ htm: 'POST', htu: 'https://as.example/token' })
      expect(s.proof).not.toHaveProperty('ath')
    }
    expect(seen[1]!.proof.nonce).toBe('as-nonce')
  })

  it('retries only once, however often the server asks again', async () => {
    const { base, seen } = await serve((_s, res, n) => askNonce401(res, `nonce-${n}`))
    const client = new DpopClient(DpopKey.generate())
    const res = await client.fetch(`${base}/orders`, { accessToken: 't' })
    expect(res.status).toBe(401)
    expect(seen.map((s) => s.proof.nonce)).toEqual([undefined, 'nonce-1'])
  })

  it('does not retry another refusal, nor a nonce request that brings no new nonce', async () => {
    const { base, seen } = await serve((s, res) =>
      s.url === '/refused'
        ? res
            .writeHead(401, { 'www-authenticate': 'DPoP error="invalid_dpop_proof"', 'dpop-nonce': 'n' })
            .end()
        : json(res, 400, { error: 'use_dpop_nonce' }),
    )
    const client = new DpopClient(DpopKey.generate())
    expect((await client.fetch(`${base}/refused`, { accessToken: 't' })).status).toBe(401)
    expect((await client.fetch(`${base}/no-nonce`, { method: 'POST', body: 'x=1' })).status).toBe(400)
    // The nonce the first answer carried is still remembered and sent on the second request.
    expect(seen.map((s) => [s.url, s.proof.nonce])).toEqual([
      ['/refused', undefined],
      ['/no-nonce', 'n'],
    ])
  })

  it('keeps nonces per origin: one server’s nonce is never sent to another', async () => {
    const a = await serve((s, res) => (s.proof.nonce ? json(res, 200, {}) : askNonce401(res, 'a-nonce')))
    const b = await serve((_s, res) => json(res, 200, {}))
    const client = new DpopClient(DpopKey.generate())
    await client.fetch(`${a.base}/x`, { accessToken: 't' })
    await client.fetch(`${b.base}/x`, { accessToken: 't' })
    expect(a.seen.map((s) => s.proof.nonce)).toEqual([undefined, 'a-nonce'])
    expect(b.seen.map((s) => s.proof.nonce)).toEqual([undefined])
  })

  it('signs every proof with the client’s key, whose thumbprint a bound token names', async () => {
    const key = DpopKey.generate()
    const { base, seen } = await serve((_s, res) => json(res, 200, {}))
    await new DpopClient(key).fetch(`${base}/x`)
    expect(decodeProtectedHeader(String(seen[0]!.headers.dpop)).jwk).toEqual(key.publicJwk)
  })
})
