import { describe, expect, it } from 'vitest'
import {
  type Api,
  type ApiAnswer,
  audienceExperiment,
  expiryExperiment,
  outageExperiment,
  tamperExperiment,
} from '../src/experiments.js'
import { decodeJwt } from '../src/jwt.js'

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')
const token = (claims: Record<string, unknown>) =>
  `${b64({ alg: 'ES256', typ: 'at+jwt' })}.${b64(claims)}.sig`
const refused: ApiAnswer = { status: 401, wwwAuthenticate: 'Bearer error="invalid_token"' }
const ok: ApiAnswer = { status: 200, wwwAuthenticate: undefined }

/** A stand-in for the APIs that answers from a rule and records what it was sent. */
function apis(rule: (api: Api, token: string) => ApiAnswer) {
  const sent: Array<{ api: Api; token: string }> = []
  const call = async (api: Api, t: string) => {
    sent.push({ api, token: t })
    return rule(api, t)
  }
  return { call, sent }
}

describe('each experiment judges what the APIs answered', () => {
  it('tamper sends orders-api the token with exp a day later and the same signature', async () => {
    const { call, sent } = apis(() => refused)
    const result = await tamperExperiment(token({ exp: 1000 }), call)
    expect(result.ok).toBe(true)
    expect(sent[0]?.api).toBe('orders')
    expect(decodeJwt(sent[0]!.token)?.payload.exp).toBe(1000 + 86400)
    expect(sent[0]!.token.endsWith('.sig')).toBe(true)
    expect(result.explanation).toContain('signature no longer matches')
  })

  it('tamper is not as explained when the edited token is accepted', async () => {
    const result = await tamperExperiment(token({ exp: 1 }), apis(() => ok).call)
    expect(result).toMatchObject({
      ok: false,
      explanation: 'Expected 401 invalid_token for an edited token, got 200.',
    })
  })

  it('audience presents the orders token to inventory-api', async () => {
    const { call, sent } = apis((api) => (api === 'inventory' ? refused : ok))
    const result = await audienceExperiment('orders-token', call)
    expect(result.ok).toBe(true)
    expect(sent).toEqual([{ api: 'inventory', token: 'orders-token' }])
    const network = await audienceExperiment('t', async () => ({
      status: undefined,
      wwwAuthenticate: undefined,
      networkError: 'ECONNREFUSED',
    }))
    expect(network.explanation).toContain('got ECONNREFUSED')
  })

  it('expiry wants 401 for the expired token, then 200 with the refreshed one', async () => {
    const { call, sent } = apis((_api, t) => (t === 'expired' ? refused : ok))
    const result = await expiryExperiment('expired', call, async () => 'fresh')
    expect(result).toMatchObject({ ok: true, fresh: 'fresh' })
    expect(sent.map((s) => s.token)).toEqual(['expired', 'fresh'])
    const stillAccepted = await expiryExperiment('expired', apis(() => ok).call, async () => 'fresh')
    expect(stillAccepted.ok).toBe(false)
  })

  it('outage calls both APIs before and after the stop, and needs the stop to have worked', async () => {
    const { call, sent } = apis(() => ok)
    const tokens = { orders: 'o', inventory: 'i' }
    const result = await outageExperiment(tokens, call, async () => true)
    expect(result.ok).toBe(true)
    expect(sent.map((s) => s.api)).toEqual(['orders', 'inventory', 'orders', 'inventory'])
    expect((await outageExperiment(tokens, call, async () => false)).ok).toBe(false)
    const down = apis((api) => (api === 'inventory' ? { status: 503, wwwAuthenticate: undefined } : ok))
    expect((await outageExperiment(tokens, down.call, async () => true)).ok).toBe(false)
  })
})
