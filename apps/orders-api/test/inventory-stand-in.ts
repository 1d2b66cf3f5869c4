import { createHash, createPublicKey, verify } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { TestIssuer } from '@stateless-auth/resource-server/testing'

/** inventory-api's seeded demo stock (its migration 003). */
const SEEDED: Record<string, number> = { 'widget-blue': 100, 'widget-red': 25, gadget: 10 }

export interface InventoryStandIn {
  url: string
  /** The stock left of one SKU, as `GET /inventory/:sku` would answer. */
  stock(sku: string): number
  /** Every authorized call, as received: its scheme, the token's claims and, for DPoP, the proof's claims. */
  readonly calls: ReadonlyArray<{
    scheme: string
    claims: Record<string, unknown>
    proof?: Record<string, unknown>
  }>
  /** Stops answering (connections refused), as when inventory-api is down. */
  close(): Promise<void>
}

interface Reservation {
  sku: string
  quantity: number
  clientId: string
  released: boolean
}

const b64json = (part: string | undefined) =>
  JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))

const verifyEs256 = (jwk: object, signed: string, signature: string | undefined) =>
  verify(
    'sha256',
    Buffer.from(signed),
    { key: createPublicKey({ key: jwk as never, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature ?? '', 'base64url'),
  )

// RFC 9449 §4.3 and §7 as far as orders-api's calls need them: an ES256 proof for this exact request and token,
// signed by the key the token is bound to; the proof's claims, or undefined when it fails.
function dpopProof(req: IncomingMessage, base: string, token: string, jkt: unknown) {
  const [h, p, sig] = String(req.headers.dpop ?? '').split('.')
  const header = b64json(h)
  const proof = b64json(p)
  const { crv, kty, x, y } = header.jwk ?? {}
  const thumbprint = createHash('sha256').update(JSON.stringify({ crv, kty, x, y })).digest('base64url')
  const ok =
    header.typ === 'dpop+jwt' &&
    header.alg === 'ES256' &&
    verifyEs256(header.jwk, `${h}.${p}`, sig) &&
    proof.htm === req.method &&
    proof.htu === `${base}${req.url}` &&
    proof.ath === createHash('sha256').update(token).digest('base64url') &&
    thumbprint === jkt
  return ok ? (proof as Record<string, unknown>) : undefined
}

/**
 * inventory-api's contract as orders-api relies on it, on 127.0.0.1:0 (inventory-api's own tests cover the real
 * one; e2e/ runs both together). Tokens are checked like inventory-api does (RFC 6750: signature with the
 * test issuer's current key, audience, expiry, `inventory:write`; RFC 9449: a token with `cnf.jkt` only with the
 * `DPoP` scheme and a proof from that key, never as `Bearer`); reservations are idempotent by id, a released
 * id never reserves again, and a release gives its stock back once. With `dpopNonce`, DPoP proofs must carry it
 * (401 `use_dpop_nonce` otherwise, RFC 9449 §9).
 */
export async function startInventoryStandIn(
  issuer: TestIssuer,
  audience: string,
  options: { dpopNonce?: string } = {},
): Promise<InventoryStandIn> {
  const stock = new Map(Object.entries(SEEDED))
  const reservations = new Map<string, Reservation>()
  const calls: Array<{ scheme: string; claims: Record<string, unknown>; proof?: Record<string, unknown> }> =
    []
  let base = ''

  function authenticate(req: IncomingMessage): { client_id: string } | { error: string; status: number } {
    const [scheme, token] = (req.headers.authorization ?? '').split(' ')
    const [header, payload, signature] = (token ?? '').split('.')
    if ((scheme !== 'Bearer' && scheme !== 'DPoP') || !header || !payload || !signature)
      return { status: 401, error: 'invalid_token' }
    try {
      const { publicJwk, alg } = issuer.currentKey
      const key = createPublicKey({ key: publicJwk as never, format: 'jwk' })
      const ok = verify(
        'sha256',
        Buffer.from(`${header}.${payload}`),
        alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key,
        Buffer.from(signature, 'base64url'),
      )
      const claims = b64json(payload)
      if (!ok || claims.aud !== audience || claims.exp <= Date.now() / 1000)
        return { status: 401, error: 'invalid_token' }
      // A bound token is never accepted as Bearer, an unbound one never as DPoP.
      if ((scheme === 'DPoP') !== (claims.cnf?.jkt !== undefined))
        return { status: 401, error: 'invalid_token' }
      let proof: Record<string, unknown> | undefined
      if (scheme === 'DPoP') {
        proof = dpopProof(req, base, token!, claims.cnf.jkt)
        if (!proof) return { status: 401, error: 'invalid_dpop_proof' }
        if (options.dpopNonce !== undefined && proof.nonce !== options.dpopNonce)
          return { status: 401, error: 'use_dpop_nonce' }
      }
      if (
        !String(claims.scope ?? '')
          .split(' ')
          .includes('inventory:write')
      )
        return { status: 403, error: 'insufficient_scope' }
      calls.push({ scheme, claims, ...(proof ? { proof } : {}) })
      return { client_id: String(claims.client_id) }
    } catch {
      return { status: 401, error: 'invalid_token' }
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: unknown) =>
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
    const match = /^\/inventory\/([^/]+)\/(reserve|release)$/.exec(req.url ?? '')
    if (req.method !== 'POST' || !match) return send(404, { error: 'not_found' })
    const who = authenticate(req)
    if ('error' in who) {
      const dpop = who.error === 'invalid_dpop_proof' || who.error === 'use_dpop_nonce'
      res.setHeader('www-authenticate', `${dpop ? 'DPoP' : 'Bearer'} error="${who.error}"`)
      if (who.error === 'use_dpop_nonce') res.setHeader('dpop-nonce', options.dpopNonce!)
      return send(who.status, { error: who.error })
    }
    let raw = ''
    for await (const chunk of req) raw += chunk
    const body = JSON.parse(raw) as { quantity?: number; reservation_id?: string }
    const sku = decodeURIComponent(match[1]!)
    const left = stock.get(sku)
    if (left === undefined) return send(404, { error: 'not_found' })
    const id = String(body.reservation_id)
    const existing = reservations.get(id)
    if (match[2] === 'release') {
      if (!existing || existing.sku !== sku || existing.clientId !== who.client_id)
        return send(404, { error: 'not_found' })
      if (!existing.released) stock.set(sku, left + existing.quantity)
      existing.released = true
      return send(200, { reservation_id: id, sku, quantity: existing.quantity, remaining: stock.get(sku) })
    }
    const quantity = Number(body.quantity)
    if (existing) {
      if (existing.sku !== sku || existing.quantity !== quantity)
        return send(409, { error: 'reservation_conflict' })
      if (existing.released) return send(409, { error: 'reservation_released' })
      return send(200, { reservation_id: id, sku, quantity, remaining: left })
    }
    if (quantity > left)
      return send(409, { error: 'insufficient_stock', sku, requested: quantity, available: left })
    stock.set(sku, left - quantity)
    reservations.set(id, { sku, quantity, clientId: who.client_id, released: false })
    return send(201, { reservation_id: id, sku, quantity, remaining: left - quantity })
  }

  const server = createServer((req, res) => void handle(req, res))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`
  return {
    url: base,
    stock: (sku) => stock.get(sku) ?? 0,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
