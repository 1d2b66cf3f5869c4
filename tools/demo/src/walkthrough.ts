import { setTimeout as sleep } from 'node:timers/promises'
import { DpopClient, DpopKey } from '@stateless-auth/dpop-client'
import {
  audienceExperiment,
  decodeJwt as decode,
  expiryExperiment,
  listTtl,
  outageExperiment,
  revocationExperiment,
  STEAL_STEPS,
  signIn,
  statusListOf,
  stealExperiment,
  type TokenAnswer,
  tamperExperiment,
  tokenRequest,
} from '@stateless-auth/experiments'
import { callApi, callWith, counter, describe, short } from './http.js'
import type { Narrator } from './narrator.js'
import { INVENTORY_AUDIENCE, ORDERS_AUDIENCE } from './services.js'

export interface WalkthroughTarget {
  urls: { issuer: string; admin: string; orders: string; inventory: string }
  adminToken: string
  password: string
  /** Longest the walkthrough waits for a token to expire or a new key to activate; longer waits are skipped. */
  maxWaitSeconds: number
  /** The APIs' clock tolerance (seconds past `exp` still accepted). */
  clockTolerance: number
  /** Really stops/starts the auth-server; absent when the walkthrough cannot (then that step is skipped). */
  authServer?: { stop(): Promise<void>; start(): Promise<void> }
}

const CLIENT = 'demo-cli'
const SCOPE = 'openid offline_access orders:read orders:write inventory:read'
// The tokens here come straight from the auth-server: one that does not decode is a failure worth stopping on.
const decodeJwt = (token: string) => {
  const decoded = decode(token)
  if (!decoded) throw new Error(`not a JWT: ${short(token)}`)
  return decoded
}
const now = () => Math.floor(Date.now() / 1000)

/** The story, step by step; every verdict is computed from what actually came back. */
export async function runWalkthrough(t: WalkthroughTarget, n: Narrator): Promise<void> {
  const { issuer, orders, inventory } = t.urls
  const get = (api: 'orders' | 'inventory', token: string) =>
    callApi(api === 'orders' ? `${orders}/orders` : `${inventory}/inventory`, token)
  const refresh = (refreshToken: string, resource: string): Promise<TokenAnswer> =>
    tokenRequest(issuer, {
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: CLIENT,
      resource,
    })
  const login = (dpop?: DpopClient) =>
    signIn({
      issuer,
      clientId: CLIENT,
      username: 'alice',
      password: t.password,
      scope: SCOPE,
      resources: [ORDERS_AUDIENCE, INVENTORY_AUDIENCE],
      ...(dpop ? { dpop } : {}),
    })

  n.step('Sign in as alice with demo-cli', 'tokens issued')
  const first = await login()
  n.sent(`GET ${first.authorizeUrl.replace(/code_challenge=[^&]+/, 'code_challenge=…')}`)
  for (const line of first.formsPosted) n.sent(`${line}  (the script plays the person at the browser)`)
  n.got(`redirect to ${first.redirectUri}?code=…&state=…&iss=${first.callback.get('iss')}`)
  n.sent('POST /token grant_type=authorization_code code=… code_verifier=… resource=orders-api')
  n.got(`${first.tokens.status} access_token, refresh_token, expires_in=${first.tokens.body.expires_in}`)
  n.why(
    'PKCE proves the token request comes from whoever started the sign-in; iss and state prove the answer is ours.',
  )
  let access = String(first.tokens.body.access_token ?? '')
  let refreshToken = String(first.tokens.body.refresh_token ?? '')
  n.done(first.tokens.status === 200 && access !== '' && refreshToken !== '' ? 'ok' : 'failed', '')

  n.step('Decode the access token', 'typ at+jwt, aud orders-api')
  const { header, payload } = decodeJwt(access)
  n.got(`header ${JSON.stringify(header)}`)
  n.got(`claims ${JSON.stringify(payload)}`)
  n.why(
    'RFC 9068: a JWT typed at+jwt, for one audience, signed by the key named in kid — anyone can read it, nobody can change it.',
  )
  // With openid, aud also names the auth-server's /userinfo (issue 12, item 15); orders-api must be among them.
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud]
  n.done(
    header.typ === 'at+jwt' && audiences.includes(ORDERS_AUDIENCE) ? 'ok' : 'failed',
    `kid ${header.kid}`,
  )

  n.step('Place an order and list them at orders-api', '201, then 200 with the order')
  const fetchesBefore = {
    orders: await counter(orders, 'jwks_fetches_total'),
    inventory: await counter(inventory, 'jwks_fetches_total'),
  }
  const placed = await callApi(`${orders}/orders`, access, { sku: 'widget-blue', quantity: 1 })
  n.sent(`POST ${orders}/orders {"sku":"widget-blue","quantity":1}  Authorization: Bearer ${short(access)}`)
  n.got(describe(placed))
  const o = await callApi(`${orders}/orders`, access)
  n.sent(`GET ${orders}/orders`)
  n.got(describe(o))
  n.why(
    'orders-api checked the token itself with the public key from the JWKS, then reserved stock at inventory-api with its own client-credentials token.',
  )
  const listed = JSON.stringify(o.body).includes('widget-blue')
  n.done(placed.status === 201 && o.status === 200 && listed ? 'ok' : 'failed', '')

  n.step('Get an inventory-api token and call inventory-api', '200')
  const inv = await refresh(refreshToken, INVENTORY_AUDIENCE)
  n.sent('POST /token grant_type=refresh_token resource=urn:stateless-auth:inventory-api')
  n.got(
    `${inv.status} aud=${inv.body.access_token ? decodeJwt(String(inv.body.access_token)).payload.aud : inv.body.error}`,
  )
  const inventoryToken = String(inv.body.access_token ?? '')
  if (typeof inv.body.refresh_token === 'string') refreshToken = inv.body.refresh_token
  const i = await callApi(`${inventory}/inventory`, inventoryToken)
  n.sent(`GET ${inventory}/inventory  Authorization: Bearer ${short(inventoryToken)}`)
  n.got(describe(i))
  n.why(
    'RFC 8707: one token per audience; the refresh token covers both APIs the sign-in asked for, and rotated.',
  )
  n.done(inv.status === 200 && i.status === 200 ? 'ok' : 'failed', '')

  n.step('The APIs fetched the keys once', 'JWKS fetches flat over 20 calls')
  const mid = {
    orders: await counter(orders, 'jwks_fetches_total'),
    inventory: await counter(inventory, 'jwks_fetches_total'),
  }
  for (let k = 0; k < 10; k++)
    await Promise.all([
      callApi(`${orders}/orders`, access),
      callApi(`${inventory}/inventory`, inventoryToken),
    ])
  const after = {
    orders: await counter(orders, 'jwks_fetches_total'),
    inventory: await counter(inventory, 'jwks_fetches_total'),
  }
  n.sent('10 × GET /orders and 10 × GET /inventory')
  n.got(
    `jwks_fetches_total orders-api ${fetchesBefore.orders} → ${mid.orders} → ${after.orders}, inventory-api ${fetchesBefore.inventory} → ${mid.inventory} → ${after.inventory}`,
  )
  n.why('Public keys are cached: verifying a token costs no call to the auth-server.')
  n.done(
    after.orders === mid.orders && after.inventory === mid.inventory && after.orders >= 1 ? 'ok' : 'failed',
    '',
  )

  // Two shared experiments, each one call with the orders-api token and a refusal expected.
  const oneCall = [
    [
      'Tamper with a claim',
      tamperExperiment,
      'GET /orders with exp moved a day later, original signature kept',
    ],
    [
      'Present the orders token to inventory-api',
      audienceExperiment,
      'GET /inventory with the orders-api token',
    ],
  ] as const
  for (const [title, experiment, sent] of oneCall) {
    n.step(title, '401 invalid_token')
    const { answer, ok, explanation } = await experiment(access, get)
    n.sent(sent)
    n.got(describe(answer))
    n.why(explanation)
    n.done(ok ? 'ok' : 'failed', '')
  }

  n.step('Sign in again with a DPoP key', 'token_type DPoP, cnf.jkt names the key')
  const dpop = new DpopClient(DpopKey.generate())
  const bound = await login(dpop)
  const boundAccess = String(bound.tokens.body.access_token ?? '')
  const cnf = boundAccess ? (decodeJwt(boundAccess).payload.cnf as { jkt?: string } | undefined) : undefined
  n.sent(
    `POST /token grant_type=authorization_code … DPoP: <proof: typ dpop+jwt, htm POST, htu ${issuer}/token>`,
  )
  n.got(
    `${bound.tokens.status} token_type=${String(bound.tokens.body.token_type)}, cnf ${JSON.stringify(cnf)}`,
  )
  n.why(
    'RFC 9449: the token names the thumbprint of the key that signed the proof (cnf.jkt); the private key never left this process, and every call must now prove it.',
  )
  n.done(
    bound.tokens.status === 200 && bound.tokens.body.token_type === 'DPoP' && cnf?.jkt === dpop.key.jkt
      ? 'ok'
      : 'failed',
    '',
  )

  n.step('Steal the token', 'Bearer 200; DPoP-bound 401 as Bearer, with own proof, replayed')
  // A fresh Bearer token for the thief (the first one may be near its exp); the refresh rotates R as usual.
  const renewedBearer = await refresh(refreshToken, ORDERS_AUDIENCE)
  refreshToken = String(renewedBearer.body.refresh_token ?? refreshToken)
  const ordersUrl = `${orders}/orders`
  const theft = await stealExperiment({
    url: ordersUrl,
    bearerToken: String(renewedBearer.body.access_token ?? ''),
    boundToken: boundAccess,
    rightfulProof: () => dpop.key.proof({ method: 'GET', url: ordersUrl, accessToken: boundAccess }),
    send: (headers) => callWith(ordersUrl, headers),
  })
  for (const [answer, label, why] of STEAL_STEPS) {
    n.sent(`GET /orders, ${label}`)
    n.got(`${describe(theft[answer])}  (${why})`)
  }
  n.why(theft.explanation)
  n.done(theft.ok ? 'ok' : 'failed', '')

  n.step('Expiry, then refresh', '401 after exp, 200 with a refreshed token')
  const wait = Number(payload.exp) + t.clockTolerance + 1 - now()
  if (wait > t.maxWaitSeconds) {
    n.why(
      `The token lives ${wait} s more (longer than this run waits); start the demo on its own services to see it.`,
    )
    n.done('skipped', `token still valid for ${wait} s`)
  } else {
    n.sent(`(waiting ${Math.max(wait, 0)} s for exp + the APIs' ${t.clockTolerance} s clock tolerance)`)
    await sleep(Math.max(wait, 0) * 1000)
    const previous = refreshToken
    let renewed: TokenAnswer | undefined
    const run = await expiryExperiment(access, get, async () => {
      renewed = await refresh(refreshToken, ORDERS_AUDIENCE)
      return String(renewed.body.access_token ?? '')
    })
    n.sent('GET /orders with the expired token')
    n.got(describe(run.expired))
    n.sent('POST /token grant_type=refresh_token')
    n.got(`${renewed?.status} new access_token and a new (rotated) refresh_token`)
    access = run.fresh
    refreshToken = String(renewed?.body.refresh_token ?? '')
    n.got(`retry: ${describe(run.retried)}`)
    n.why(run.explanation)
    n.done(run.ok && previous !== refreshToken ? 'ok' : 'failed', '')
  }

  n.step('Refresh-token reuse detection', 'reuse refused, whole family revoked')
  const r1 = refreshToken
  const next = await refresh(r1, ORDERS_AUDIENCE)
  const r2 = String(next.body.refresh_token ?? '')
  const reuse = await refresh(r1, ORDERS_AUDIENCE)
  const afterReuse = await refresh(r2, ORDERS_AUDIENCE)
  n.sent('refresh with R1 → R2; then R1 again (as a thief holding a copy would); then R2')
  n.got(
    `R1: ${next.status}; R1 again: ${reuse.status} ${reuse.body.error}; R2: ${afterReuse.status} ${afterReuse.body.error}`,
  )
  n.why(
    'RFC 9700 §4.14.2: a rotated refresh token used twice means a copy exists, so the server revokes the family.',
  )
  n.done(
    next.status === 200 && reuse.body.error === 'invalid_grant' && afterReuse.body.error === 'invalid_grant'
      ? 'ok'
      : 'failed',
    '',
  )

  n.step('Rotate the signing key', 'new kid, verified after one JWKS fetch')
  // The operator listener (ADMIN_PORT on loopback): the issuer's public port never serves /admin/*.
  const rotated = await fetch(`${t.urls.admin}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${t.adminToken}` },
  })
  const key = (await rotated.json()) as { kid?: string; activates_at?: number }
  n.sent('POST /admin/keys/rotate')
  n.got(`${rotated.status} ${JSON.stringify(key)}`)
  const activateIn = (key.activates_at ?? 0) - now() + 1
  if (!rotated.ok || activateIn > t.maxWaitSeconds) {
    n.why('The new key is published first and signs only after every JWKS cache has had time to see it.')
    n.done(
      rotated.ok ? 'skipped' : 'failed',
      rotated.ok ? `it starts signing in ${activateIn} s` : 'rotation refused',
    )
  } else {
    await sleep(Math.max(activateIn, 0) * 1000)
    const again = await login()
    const fresh = String(again.tokens.body.access_token ?? '')
    access = fresh
    refreshToken = String(again.tokens.body.refresh_token ?? '')
    const before = await counter(orders, 'jwks_fetches_total')
    const ok1 = await callApi(`${orders}/orders`, fresh)
    const ok2 = await callApi(`${orders}/orders`, fresh)
    const afterRotation = await counter(orders, 'jwks_fetches_total')
    n.sent(`sign in again → token with kid ${decodeJwt(fresh).header.kid}; GET /orders twice`)
    n.got(`${ok1.status}, ${ok2.status}; jwks_fetches_total ${before} → ${afterRotation}`)
    n.why('An unknown kid makes the API fetch the JWKS once; from then on the new key is cached too.')
    const newKid = decodeJwt(fresh).header.kid === key.kid
    n.done(
      newKid && ok1.status === 200 && ok2.status === 200 && afterRotation - before === 1 ? 'ok' : 'failed',
      '',
    )
  }

  n.step('Revoke the access tokens', 'both APIs refuse them within the status list ttl')
  const invForRevocation = await refresh(refreshToken, INVENTORY_AUDIENCE)
  if (typeof invForRevocation.body.refresh_token === 'string')
    refreshToken = invForRevocation.body.refresh_token
  const toRevoke = { orders: access, inventory: String(invForRevocation.body.access_token ?? '') }
  const listUri = statusListOf(access)
  const ttl = listUri
    ? listTtl(await (await fetch(listUri, { signal: AbortSignal.timeout(5000) })).text())
    : undefined
  if (ttl === undefined || ttl + 2 > t.maxWaitSeconds) {
    n.why('The access token names no status list with a ttl this run can wait for (STATUS_LIST_TTL).')
    n.done('skipped', ttl === undefined ? 'no status list' : `ttl ${ttl} s`)
  } else {
    const revocations: number[] = []
    const run = await revocationExperiment({
      tokens: toRevoke,
      call: get,
      ttl,
      revoke: async (tokens) => {
        for (const token of [tokens.orders, tokens.inventory]) {
          const res = await fetch(`${issuer}/revoke`, {
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({ token, token_type_hint: 'access_token', client_id: CLIENT }),
          })
          revocations.push(res.status)
        }
        return revocations.every((status) => status === 200)
      },
      listFetches: (api) => counter(api === 'orders' ? orders : inventory, 'status_list_fetches_total'),
    })
    n.sent(
      `GET /orders and GET /inventory with the two tokens: ${run.before.orders.status}, ${run.before.inventory.status}`,
    )
    n.sent(`POST /revoke token=<orders token>, then token=<inventory token>: ${revocations.join(', ')}`)
    n.got(`the status list ${listUri} has ttl ${ttl} s; then both APIs, every 200 ms:`)
    for (const event of run.timeline) {
      const who = event.api === 'auth-server' ? 'auth-server' : `${event.api}-api`
      n.got(`+${(event.atMs / 1000).toFixed(1)} s  ${who}: ${event.kind.replace('_', ' ')} (${event.detail})`)
    }
    n.got(
      `status_list_fetches_total orders-api ${run.fetches.orders.before} → ${run.fetches.orders.after}, inventory-api ${run.fetches.inventory.before} → ${run.fetches.inventory.after}, for ${run.requests.orders} + ${run.requests.inventory} requests`,
    )
    n.why(run.explanation)
    n.done(run.ok ? 'ok' : 'failed', '')
    // The later steps need a live token for orders-api: the refresh token was not revoked.
    const renewed = await refresh(refreshToken, ORDERS_AUDIENCE)
    access = String(renewed.body.access_token ?? '')
    if (typeof renewed.body.refresh_token === 'string') refreshToken = renewed.body.refresh_token
  }

  n.step('Stop the auth-server', 'both APIs still answer 200')
  if (!t.authServer) {
    n.why('These services were not started by the demo or by pnpm start, so it cannot stop the auth-server.')
    n.done('skipped', 'no control over the auth-server process')
    return
  }
  const invNow = await refresh(refreshToken, INVENTORY_AUDIENCE)
  const invToken = String(invNow.body.access_token ?? '')
  const authServer = t.authServer
  let down = ''
  const outage = await outageExperiment({ orders: access, inventory: invToken }, get, async () => {
    await authServer.stop()
    down = await fetch(`${issuer}/health`).then(
      (r) => `${r.status}`,
      (e: Error) => `unreachable (${e.cause ?? e.message})`,
    )
    return down.startsWith('unreachable')
  })
  const { before, during } = outage
  n.sent(
    `tokens for both APIs (kid ${decodeJwt(invToken).header.kid}), each used once: ${before.orders.status}, ${before.inventory.status}`,
  )
  n.sent('stop the auth-server process')
  n.got(`auth-server: ${down}; orders-api ${during.orders.status}; inventory-api ${during.inventory.status}`)
  n.why(outage.explanation)
  await authServer.start()
  n.got('auth-server started again (same persisted keys)')
  n.done(outage.ok ? 'ok' : 'failed', '')
}
