import { API_PATHS, type ApiClient, type ObservedCall } from './apis.js'
import type { AdminClient, ControlAnswer, LauncherControl } from './control.js'
import { decodeJwt, tamper } from './jwt.js'
import { RefreshRefused, type TokenService } from './oauth/tokens.js'
import type { SessionData, SessionStore } from './session/store.js'

export interface Step {
  label: string
  call?: ObservedCall
  detail?: unknown
}

export interface ExperimentResult {
  name: string
  /** `as-explained`: it behaved as the sentence says; `unexpected`: it did not; `not-run`: not possible here. */
  outcome: 'as-explained' | 'unexpected' | 'not-run'
  explanation: string
  steps: Step[]
}

export interface ExperimentContext {
  sessionId: string
  session: SessionData
  tokens: TokenService
  store: SessionStore
  apis: ApiClient
  admin: AdminClient | undefined
  control: LauncherControl | undefined
  now: () => number
}

type Experiment = (ctx: ExperimentContext) => Promise<ExperimentResult>

const isInvalidToken = (call: ObservedCall) =>
  call.status === 401 && (call.wwwAuthenticate ?? '').includes('invalid_token')

const refusal = (err: unknown) =>
  err instanceof RefreshRefused ? err.refusal : { error: (err as Error).message }

export const experiments: Record<string, Experiment> = {
  async tamper({ sessionId, tokens, apis }) {
    const { token } = await tokens.tokenFor(sessionId, 'orders')
    const exp = Number(decodeJwt(token.accessToken)?.payload.exp ?? 0)
    const forged = tamper(token.accessToken, 'exp', exp + 86400)
    const call = await apis.call('orders', 'GET', API_PATHS.orders, forged)
    const ok = isInvalidToken(call)
    return {
      name: 'tamper',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: ok
        ? 'We moved exp a day later but kept the signature, so the signature no longer matches the payload and orders-api refused it with 401 without asking anyone.'
        : `Expected 401 invalid_token for an edited token, got ${call.status ?? call.networkError}.`,
      steps: [{ label: 'GET /orders with exp pushed back a day, original signature', call }],
    }
  },

  async audience({ sessionId, tokens, apis }) {
    const { token } = await tokens.tokenFor(sessionId, 'orders')
    const call = await apis.call('inventory', 'GET', API_PATHS.inventory, token.accessToken)
    const ok = isInvalidToken(call)
    return {
      name: 'audience',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: ok
        ? 'The token is genuine but its aud names orders-api, so inventory-api refused it: a token leaked from one API cannot be replayed at another (RFC 8707, RFC 9068 §4).'
        : `Expected 401 invalid_token for a token of another audience, got ${call.status ?? call.networkError}.`,
      steps: [{ label: 'GET /inventory with the orders-api token', call }],
    }
  },

  async expiry({ sessionId, session, tokens, apis, now }) {
    const held = session.tokens.orders
    const left = held ? held.expiresAt - now() : 0
    if (!held || left > 0) {
      return {
        name: 'expiry',
        outcome: 'not-run',
        explanation: `The orders token is still valid for ${left} s; come back when the countdown reaches zero (the BFF sends an expired token only in this experiment, normally it refreshes first).`,
        steps: [],
      }
    }
    const expired = await apis.call('orders', 'GET', API_PATHS.orders, held.accessToken)
    const steps: Step[] = [{ label: 'GET /orders with the expired token', call: expired }]
    try {
      const fresh = await tokens.refresh(sessionId, 'orders')
      steps.push({
        label: 'refresh_token grant (rotated) for orders-api',
        detail: { expiresAt: fresh.expiresAt },
      })
      const retried = await apis.call('orders', 'GET', API_PATHS.orders, fresh.accessToken)
      steps.push({ label: 'GET /orders with the new token', call: retried })
      const ok = isInvalidToken(expired) && retried.status === 200
      return {
        name: 'expiry',
        outcome: ok ? 'as-explained' : 'unexpected',
        explanation: ok
          ? 'orders-api refused the expired token by its exp claim alone (401); the BFF then used the refresh token at the auth-server, got a new access token and the retry succeeded.'
          : `Expected 401 then 200, got ${expired.status} then ${retried.status}.`,
        steps,
      }
    } catch (err) {
      steps.push({ label: 'refresh refused', detail: refusal(err) })
      return { name: 'expiry', outcome: 'unexpected', explanation: 'The refresh after expiry failed.', steps }
    }
  },

  async disable({ sessionId, session, tokens, apis, admin }) {
    if (!admin) return manual('disable', 'pnpm --filter @stateless-auth/auth-server cli users disable alice')
    const { token } = await tokens.tokenFor(sessionId, 'orders')
    const steps: Step[] = []
    const disabled = await admin.disableUser(session.username)
    steps.push({ label: `POST /admin/users/${session.username}/disable`, detail: disabled })
    let refreshOutcome: unknown
    let refused = false
    try {
      await tokens.refresh(sessionId, 'orders')
      refreshOutcome = 'a new access token was issued'
    } catch (err) {
      refused = err instanceof RefreshRefused
      refreshOutcome = refusal(err)
    }
    steps.push({ label: 'refresh_token grant', detail: refreshOutcome })
    const still = await apis.call('orders', 'GET', API_PATHS.orders, token.accessToken)
    steps.push({ label: 'GET /orders with the access token issued before', call: still })
    const enabled = await admin.enableUser(session.username)
    steps.push({ label: `POST /admin/users/${session.username}/enable (tidy up)`, detail: enabled })
    const ok = disabled.ok && refused && still.status === 200
    return {
      name: 'disable',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: ok
        ? 'The auth-server re-checks the user on every refresh and refused it, while the access token already issued kept working at orders-api until it expires: that is the price of stateless validation, and why access tokens are short-lived. Sign in again to continue.'
        : 'Expected the admin call to succeed, the refresh to be refused and the old access token to still work.',
      steps,
    }
  },

  async rotate({ sessionId, tokens, apis, admin }) {
    if (!admin) return manual('rotate', 'pnpm --filter @stateless-auth/auth-server cli keys rotate')
    const before = await tokens.tokenFor(sessionId, 'orders')
    const oldKid = decodeJwt(before.token.accessToken)?.header.kid
    const rotated = await admin.rotateKeys()
    const steps: Step[] = [{ label: 'POST /admin/keys/rotate', detail: rotated }]
    // A refused refresh propagates: the page then says the session has to sign in again.
    const fresh = (await tokens.refresh(sessionId, 'orders')).accessToken
    const newKid = decodeJwt(fresh)?.header.kid
    const call = await apis.call('orders', 'GET', API_PATHS.orders, fresh)
    steps.push({ label: `GET /orders with a new token (kid ${String(newKid)})`, call })
    const fetches = call.observation.jwksFetches
    const delta = (fetches.after ?? 0) - (fetches.before ?? 0)
    if (newKid === oldKid) {
      return {
        name: 'rotate',
        outcome: rotated.ok && call.status === 200 ? 'as-explained' : 'unexpected',
        explanation:
          'The new key is published in the JWKS first and signs only after the caches have had time to see it, so this token still uses the old kid; run the experiment again after the pending period to see the switch.',
        steps,
      }
    }
    const ok = rotated.ok && call.status === 200 && delta <= 1
    return {
      name: 'rotate',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: ok
        ? `The token now carries kid ${String(newKid)}; orders-api did not know it, fetched the JWKS ${delta === 1 ? 'once' : 'no more times (it had already refreshed its cache)'} and verified it locally from then on.`
        : `Expected 200 with at most one JWKS fetch, got ${call.status} and ${delta} fetches.`,
      steps,
    }
  },

  async stop({ sessionId, tokens, apis, control }) {
    if (!control)
      return manual('stop', 'docker compose stop auth-server (and docker compose start auth-server)')
    // Fetch both tokens first: with the auth-server down the BFF could not refresh them.
    const orders = await tokens.tokenFor(sessionId, 'orders')
    const inventory = await tokens.tokenFor(sessionId, 'inventory')
    // An API meeting a kid it never saw must fetch the JWKS; let each see the current key while it can.
    const steps: Step[] = [
      {
        label: 'GET /orders (before)',
        call: await apis.call('orders', 'GET', API_PATHS.orders, orders.token.accessToken),
      },
      {
        label: 'GET /inventory (before)',
        call: await apis.call('inventory', 'GET', API_PATHS.inventory, inventory.token.accessToken),
      },
    ]
    const stopped = await control.stopAuthServer()
    steps.push({ label: 'launcher: stop the auth-server process', detail: stopped })
    const o = await apis.call('orders', 'GET', API_PATHS.orders, orders.token.accessToken)
    const i = await apis.call('inventory', 'GET', API_PATHS.inventory, inventory.token.accessToken)
    steps.push({ label: 'GET /orders', call: o }, { label: 'GET /inventory', call: i })
    const ok = stopped.ok && o.status === 200 && i.status === 200
    return {
      name: 'stop',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: ok
        ? 'With the auth-server stopped both APIs still accepted the tokens: they verify signatures with public keys they already cached and never call it per request. (New sign-ins and refreshes wait until you start it again.)'
        : 'Expected the stop to succeed and both APIs to still answer 200.',
      steps,
    }
  },

  async start({ control }) {
    if (!control) return manual('start', 'docker compose start auth-server')
    const started: ControlAnswer = await control.startAuthServer()
    return {
      name: 'start',
      outcome: started.ok ? 'as-explained' : 'unexpected',
      explanation: started.ok
        ? 'The auth-server is back: it reloaded the same persisted keys, so no token was invalidated by the restart.'
        : 'The launcher could not start the auth-server.',
      steps: [{ label: 'launcher: start the auth-server process', detail: started }],
    }
  },
}

function manual(name: string, command: string): ExperimentResult {
  return {
    name,
    outcome: 'not-run',
    explanation: `This app has no way to do that here; do it by hand with: ${command}`,
    steps: [],
  }
}
