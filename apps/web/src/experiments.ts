import {
  audienceExperiment,
  decodeJwt,
  expiryExperiment,
  outageExperiment,
  STEAL_STEPS,
  stealExperiment,
  tamperExperiment,
} from '@stateless-auth/experiments'
import { API_PATHS, type ApiClient, type ObservedCall } from './apis.js'
import type { AdminClient, ControlAnswer, DemoControl } from './control.js'
import { RefreshRefused, type TokenService } from './oauth/tokens.js'
import { type RevocationAccess, revokeNow } from './revoke-experiment.js'
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
  control: DemoControl | undefined
  rotation: RotationLimit
  /** For "revoke now": revocation at the auth-server and the APIs' status-list counters. */
  revocation: RevocationAccess | undefined
  now: () => number
}

/**
 * The rotate experiment's limit (issue 12, item 1): at most one rotation per `interval` seconds in this process,
 * whichever session asks, so the page cannot be used to churn the auth-server's keys. (Per session it is the same
 * limit; across replicas the auth-server's own refusal while a key is pending, 409 rotation_pending, bounds it.)
 */
export function createRotationLimit(interval: number) {
  let last: number | undefined
  return {
    interval,
    /** Takes the slot at `now` and answers 0, or answers how many seconds remain until the next one. */
    take(now: number): number {
      if (last !== undefined && now < last + interval) return last + interval - now
      last = now
      return 0
    },
  }
}

export type RotationLimit = ReturnType<typeof createRotationLimit>

type Experiment = (ctx: ExperimentContext) => Promise<ExperimentResult>

/** The shared experiments call `GET /orders` or `GET /inventory`; here through the observing API client. */
const getWith =
  (apis: ApiClient) =>
  (api: 'orders' | 'inventory', token: string): Promise<ObservedCall> =>
    apis.call(api, 'GET', API_PATHS[api], token)

const refusal = (err: unknown) =>
  err instanceof RefreshRefused ? err.refusal : { error: (err as Error).message }

/** A shared experiment that makes one API call with the session's orders-api token, shown as one step. */
const oneCallExperiment =
  (name: string, run: typeof tamperExperiment, label: string): Experiment =>
  async ({ sessionId, tokens, apis }) => {
    const { token } = await tokens.tokenFor(sessionId, 'orders')
    const { answer, ok, explanation } = await run(token.accessToken, getWith(apis))
    return {
      name,
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation,
      steps: [{ label, call: answer }],
    }
  }

export const experiments: Record<string, Experiment> = {
  tamper: oneCallExperiment(
    'tamper',
    tamperExperiment,
    'GET /orders with exp pushed back a day, original signature',
  ),
  audience: oneCallExperiment('audience', audienceExperiment, 'GET /inventory with the orders-api token'),

  // Steal the token (RFC 9449): a thief with a stolen Bearer token, and with the session's DPoP-bound one.
  async steal({ sessionId, tokens, apis }) {
    const bearerToken = await tokens.bearerToken(sessionId, 'orders')
    const { token } = await tokens.tokenFor(sessionId, 'orders')
    const key = tokens.keyFor(token.accessToken)
    if (!key) {
      return {
        name: 'steal',
        outcome: 'not-run',
        explanation: 'This session holds no DPoP key (it began before DPoP was on); sign in again.',
        steps: [],
      }
    }
    const url = apis.urlOf('orders', API_PATHS.orders)
    const bound = token.accessToken
    const run = await stealExperiment({
      url,
      bearerToken,
      boundToken: bound,
      rightfulProof: () => key.proof({ method: 'GET', url, accessToken: bound }),
      send: (headers) =>
        apis.call(
          'orders',
          'GET',
          API_PATHS.orders,
          headers.authorization.slice(headers.authorization.indexOf(' ') + 1),
          undefined,
          headers,
        ),
    })
    return {
      name: 'steal',
      outcome: run.ok ? 'as-explained' : 'unexpected',
      explanation: run.explanation,
      steps: STEAL_STEPS.map(([step, label, why]) => ({ label: `${label} (${why})`, call: run[step] })),
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
    const refreshed: { expiresAt?: number } = {}
    try {
      const run = await expiryExperiment(held.accessToken, getWith(apis), async () => {
        const fresh = await tokens.refresh(sessionId, 'orders')
        refreshed.expiresAt = fresh.expiresAt
        return fresh.accessToken
      })
      return {
        name: 'expiry',
        outcome: run.ok ? 'as-explained' : 'unexpected',
        explanation: run.explanation,
        steps: [
          { label: 'GET /orders with the expired token', call: run.expired },
          {
            label: 'refresh_token grant (rotated) for orders-api',
            detail: { expiresAt: refreshed.expiresAt },
          },
          { label: 'GET /orders with the new token', call: run.retried },
        ],
      }
    } catch (err) {
      return {
        name: 'expiry',
        outcome: 'unexpected',
        explanation: 'The refresh after expiry failed.',
        steps: [{ label: 'refresh refused', detail: refusal(err) }],
      }
    }
  },

  // Acts on the signed-in user's own account only, and never undoes an operator's action (issue 12, item 1): it
  // first refreshes, which succeeds only while the account is enabled (refused, the session ends here and nothing
  // is changed), and re-enables only after its own disable call succeeded.
  async disable({ sessionId, session, tokens, apis, admin }) {
    if (!admin) return manual('disable', 'pnpm --filter @stateless-auth/auth-server cli users disable alice')
    // A refusal propagates: 401, the session is gone, and the account stays as the operator left it.
    const token = await tokens.refresh(sessionId, 'orders')
    const steps: Step[] = [
      { label: 'refresh_token grant first: the account is enabled', detail: 'a new access token was issued' },
    ]
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
    if (disabled.ok) {
      const enabled = await admin.enableUser(session.username)
      steps.push({ label: `POST /admin/users/${session.username}/enable (tidy up)`, detail: enabled })
    }
    // Disabling the user also marks its live access tokens revoked in the status list: orders-api refuses the old
    // token from its next list fetch (within the list's ttl), so either answer is the explained one.
    const listed = still.status === 401
    const ok = disabled.ok && refused && (still.status === 200 || listed)
    return {
      name: 'disable',
      outcome: ok ? 'as-explained' : 'unexpected',
      explanation: !ok
        ? 'Expected the admin call to succeed, the refresh to be refused and the old access token to be answered 200 (or 401 once the status list names it).'
        : `The auth-server re-checks the user on every refresh and refused it. ${
            listed
              ? 'orders-api already refused the access token issued before: disabling the user marked it revoked in the status list, and the API has fetched the list since.'
              : 'The access token issued before still worked at orders-api: disabling the user marked it revoked in the status list, and the API refuses it from its next list fetch, within the list’s ttl ("Revoke now" shows that timeline). Without the list it would work until it expires.'
          } The refused refresh also ended this web session: sign in again to continue.`,
      steps,
    }
  },

  async rotate({ sessionId, tokens, apis, admin, rotation, now }) {
    if (!admin) return manual('rotate', 'pnpm --filter @stateless-auth/auth-server cli keys rotate')
    const wait = rotation.take(now())
    if (wait > 0) {
      return {
        name: 'rotate',
        outcome: 'not-run',
        explanation: `The page rotates the signing key at most once every ${rotation.interval} s, whoever asks; try again in ${wait} s.`,
        steps: [],
      }
    }
    const before = await tokens.tokenFor(sessionId, 'orders')
    const oldKid = decodeJwt(before.token.accessToken)?.header.kid
    const rotated = await admin.rotateKeys()
    const steps: Step[] = [{ label: 'POST /admin/keys/rotate', detail: rotated }]
    const body = rotated.body as { error?: unknown; error_description?: unknown } | undefined
    if (rotated.status === 409 && body?.error === 'rotation_pending') {
      return {
        name: 'rotate',
        outcome: 'as-explained',
        explanation:
          'The auth-server refused: the key from the last rotation is still waiting to be published long enough for every JWKS cache to have seen it, and rotating again before then would pile up keys no API knows yet. Try again once it signs.',
        steps,
      }
    }
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
          'The new key is published in the JWKS first and signs only after the caches have had time to see it, so this token still uses the old kid; call the API again after the pending period (JWKS_MAX_AGE) to see the switch.',
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
    let stopped: ControlAnswer | undefined
    const run = await outageExperiment(
      { orders: orders.token.accessToken, inventory: inventory.token.accessToken },
      getWith(apis),
      async () => {
        stopped = await control.stopAuthServer()
        return stopped.ok
      },
    )
    return {
      name: 'stop',
      outcome: run.ok ? 'as-explained' : 'unexpected',
      explanation: run.ok
        ? `${run.explanation} (New sign-ins and refreshes wait until you start it again.)`
        : run.explanation,
      steps: [
        { label: 'GET /orders (before)', call: run.before.orders },
        { label: 'GET /inventory (before)', call: run.before.inventory },
        { label: 'demo control: stop the auth-server process', detail: stopped },
        { label: 'GET /orders', call: run.during.orders },
        { label: 'GET /inventory', call: run.during.inventory },
      ],
    }
  },

  // Issue 14, in its own file: revoke the access tokens, then a timeline of each API's list fetch and refusal.
  revoke: revokeNow,

  async start({ control }) {
    if (!control) return manual('start', 'docker compose start auth-server')
    const started: ControlAnswer = await control.startAuthServer()
    return {
      name: 'start',
      outcome: started.ok ? 'as-explained' : 'unexpected',
      explanation: started.ok
        ? 'The auth-server is back: it reloaded the same persisted keys, so no token was invalidated by the restart.'
        : 'The demo control could not start the auth-server.',
      steps: [{ label: 'demo control: start the auth-server process', detail: started }],
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
