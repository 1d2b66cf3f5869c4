import { decodeJwt, tamper } from './jwt.js'

/**
 * The experiments the demo tells, each implemented once. A caller injects how to reach the APIs and the
 * auth-server (the web app through its session and `/metrics`-observing client, the walkthrough with plain
 * fetch), runs the experiment, and tells the result its own way: the page as a card, the walkthrough as
 * narrated lines. Each verdict is computed from what actually came back.
 */

export type Api = 'orders' | 'inventory'

/** What an API answered: the parts the verdicts read. */
export interface ApiAnswer {
  status: number | undefined
  wwwAuthenticate: string | undefined
  /** Set when the API could not be reached at all. */
  networkError?: string
}

/** Calls `GET /orders` or `GET /inventory` with `token` as a bearer token. */
export type CallApi<A extends ApiAnswer> = (api: Api, token: string) => Promise<A>

/** RFC 6750 §3.1: a bearer token refused for what it is (bad signature, wrong audience, expired). */
export const isInvalidToken = (answer: ApiAnswer): boolean =>
  answer.status === 401 && (answer.wwwAuthenticate ?? '').includes('invalid_token')

const seen = (answer: ApiAnswer) => String(answer.status ?? answer.networkError)

export interface Verdict {
  ok: boolean
  /** One sentence: why it behaved so (when ok), or what was expected instead. */
  explanation: string
}

/** Moves `exp` a day later and keeps the signature, then presents the token to orders-api. */
export async function tamperExperiment<A extends ApiAnswer>(ordersToken: string, call: CallApi<A>) {
  const exp = Number(decodeJwt(ordersToken)?.payload.exp ?? 0)
  const answer = await call('orders', tamper(ordersToken, 'exp', exp + 86400))
  const ok = isInvalidToken(answer)
  return {
    answer,
    ok,
    explanation: ok
      ? 'We moved exp a day later but kept the signature, so the signature no longer matches the payload it covers and orders-api refused the token with 401 without asking anyone.'
      : `Expected 401 invalid_token for an edited token, got ${seen(answer)}.`,
  } satisfies Verdict & { answer: A }
}

/** Presents a genuine orders-api token to inventory-api. */
export async function audienceExperiment<A extends ApiAnswer>(ordersToken: string, call: CallApi<A>) {
  const answer = await call('inventory', ordersToken)
  const ok = isInvalidToken(answer)
  return {
    answer,
    ok,
    explanation: ok
      ? 'The token is genuine but its aud names orders-api, so inventory-api refused it: a token leaked from one API cannot be replayed at another (RFC 8707, RFC 9068 §4).'
      : `Expected 401 invalid_token for a token of another audience, got ${seen(answer)}.`,
  } satisfies Verdict & { answer: A }
}

/**
 * Presents an expired token, then gets a new one from the auth-server (`refresh`) and retries: `exp` is checked
 * locally, only the refresh goes to the auth-server, which re-checks the user there.
 */
export async function expiryExperiment<A extends ApiAnswer>(
  expiredOrdersToken: string,
  call: CallApi<A>,
  refresh: () => Promise<string>,
) {
  const expired = await call('orders', expiredOrdersToken)
  const fresh = await refresh()
  const retried = await call('orders', fresh)
  const ok = isInvalidToken(expired) && retried.status === 200
  return {
    expired,
    fresh,
    retried,
    ok,
    explanation: ok
      ? 'orders-api refused the expired token by its exp claim alone (401); a refresh at the auth-server gave a new access token and the retry succeeded.'
      : `Expected 401 then 200, got ${seen(expired)} then ${seen(retried)}.`,
  } satisfies Verdict & Record<string, unknown>
}

/**
 * Calls both APIs while the auth-server is stopped. Each API must have seen the current key once (a kid it
 * never saw needs the JWKS, so it would answer 503): `before` are those warm-up calls.
 */
export async function outageExperiment<A extends ApiAnswer>(
  tokens: Record<Api, string>,
  call: CallApi<A>,
  stopAuthServer: () => Promise<boolean>,
) {
  const before = {
    orders: await call('orders', tokens.orders),
    inventory: await call('inventory', tokens.inventory),
  }
  const stopped = await stopAuthServer()
  const during = {
    orders: await call('orders', tokens.orders),
    inventory: await call('inventory', tokens.inventory),
  }
  const ok = stopped && during.orders.status === 200 && during.inventory.status === 200
  return {
    before,
    stopped,
    during,
    ok,
    explanation: ok
      ? 'With the auth-server stopped both APIs still accepted the tokens: they verify signatures with public keys they already cached and never call it per request.'
      : 'Expected the stop to succeed and both APIs to still answer 200.',
  } satisfies Verdict & Record<string, unknown>
}
