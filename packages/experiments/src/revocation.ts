import type { Api, ApiAnswer, CallApi, Verdict } from './experiments.js'
import { decodeJwt } from './jwt.js'

/**
 * "Revoke now" (issue 14): revoke the access tokens at the auth-server, then call both APIs until each refuses them,
 * watching each API's own `status_list_fetches_total`. The APIs never ask the auth-server about a token: each refuses
 * once its next status-list fetch (one per list `ttl`) brings the bit, so the delay is at most `ttl` (plus a second
 * of scheduling) and the fetch count grows by about one per `ttl`, not one per request.
 */

/** One moment of the timeline, in ms after the revocation. */
export interface TimelineEvent {
  atMs: number
  api: Api | 'auth-server'
  kind: 'revoked' | 'list_fetch' | 'refused'
  /** What happened, in words (the counter's value, the status the API answered). */
  detail: string
}

export interface RevocationOptions<A extends ApiAnswer> {
  /** A live access token for each API (the experiment revokes them). */
  tokens: Record<Api, string>
  call: CallApi<A>
  /** Revokes both access tokens at the auth-server (RFC 7009); true when it answered 200 to each. */
  revoke: (tokens: Record<Api, string>) => Promise<boolean>
  /** The API's `status_list_fetches_total` (every series summed); undefined when its /metrics cannot be read. */
  listFetches: (api: Api) => Promise<number | undefined>
  /** The status lists' `ttl` in seconds (read from a list token: {@link statusListOf}). */
  ttl: number
  /** Poll period in ms. Default 200. */
  pollMs?: number
  /** Margin over `ttl` before giving up, in ms. Default 2000 (a background refetch, one poll, scheduling). */
  marginMs?: number
  /** Clock and wait, injectable for tests. */
  now?: () => number
  sleep?: (ms: number) => Promise<void>
}

export interface RevocationRun<A extends ApiAnswer> extends Verdict {
  /** Both APIs' answers before the revocation (200 expected: the tokens were good). */
  before: Record<Api, A>
  revoked: boolean
  /** The first refusal of each API (undefined when it still accepted the token at the deadline). */
  refusal: Record<Api, A | undefined>
  /** ms after the revocation when each API first refused, if it did. */
  refusedAfterMs: Record<Api, number | undefined>
  /** `status_list_fetches_total` of each API just before the revocation and at the end. */
  fetches: Record<Api, { before: number | undefined; after: number | undefined }>
  /** Requests sent to each API after the revocation. */
  requests: Record<Api, number>
  timeline: TimelineEvent[]
  ttl: number
}

const APIS: Api[] = ['orders', 'inventory']
const NAMES: Record<Api, string> = { orders: 'orders-api', inventory: 'inventory-api' }

/** The refusal a revoked token gets (the verifier's VERIFIER_ERR_TOKEN_REVOKED). */
export const isRevokedAnswer = (answer: ApiAnswer): boolean =>
  answer.status === 401 &&
  /invalid_token/.test(answer.wwwAuthenticate ?? '') &&
  /revoked/.test(answer.wwwAuthenticate ?? '')

/**
 * The status list reference of an access token (`status.status_list.uri`), for reading the list's `ttl` with
 * {@link listTtl}; undefined when the token carries none.
 */
export function statusListOf(accessToken: string): string | undefined {
  const status = decodeJwt(accessToken)?.payload.status as { status_list?: { uri?: unknown } } | undefined
  const uri = status?.status_list?.uri
  return typeof uri === 'string' ? uri : undefined
}

/** The `ttl` (seconds) of a status list token's claims, as served at its URI; undefined when absent. */
export function listTtl(listToken: string): number | undefined {
  const ttl = decodeJwt(listToken.trim())?.payload.ttl
  return typeof ttl === 'number' && ttl > 0 ? ttl : undefined
}

export async function revocationExperiment<A extends ApiAnswer>(
  options: RevocationOptions<A>,
): Promise<RevocationRun<A>> {
  const { tokens, call, ttl } = options
  const now = options.now ?? Date.now
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)))
  const pollMs = options.pollMs ?? 200
  const deadlineMs = ttl * 1000 + (options.marginMs ?? 2000)

  const before = {
    orders: await call('orders', tokens.orders),
    inventory: await call('inventory', tokens.inventory),
  }
  const fetches = {
    orders: { before: await options.listFetches('orders'), after: undefined as number | undefined },
    inventory: { before: await options.listFetches('inventory'), after: undefined as number | undefined },
  }
  const seen = { orders: fetches.orders.before, inventory: fetches.inventory.before }
  const refusal: Record<Api, A | undefined> = { orders: undefined, inventory: undefined }
  const refusedAfterMs: Record<Api, number | undefined> = { orders: undefined, inventory: undefined }
  const requests = { orders: 0, inventory: 0 }

  const revoked = await options.revoke(tokens)
  const revokedAt = now()
  const timeline: TimelineEvent[] = [
    {
      atMs: 0,
      api: 'auth-server',
      kind: 'revoked',
      detail: revoked ? 'POST /revoke: 200, bits set' : 'POST /revoke refused',
    },
  ]
  const watchFetches = async (api: Api) => {
    const count = await options.listFetches(api)
    const previous = seen[api]
    if (count !== undefined && previous !== undefined && count > previous) {
      timeline.push({
        atMs: now() - revokedAt,
        api,
        kind: 'list_fetch',
        detail: `status_list_fetches_total ${previous} → ${count}`,
      })
    }
    if (count !== undefined) seen[api] = count
  }

  while (revoked && APIS.some((api) => refusal[api] === undefined) && now() - revokedAt <= deadlineMs) {
    for (const api of APIS) {
      if (refusal[api] !== undefined) continue
      const answer = await call(api, tokens[api])
      requests[api]++
      await watchFetches(api)
      if (answer.status !== 200) {
        refusal[api] = answer
        refusedAfterMs[api] = now() - revokedAt
        timeline.push({
          atMs: refusedAfterMs[api],
          api,
          kind: 'refused',
          detail: `${answer.status ?? answer.networkError} ${answer.wwwAuthenticate ?? ''}`.trim(),
        })
      }
    }
    if (APIS.some((api) => refusal[api] === undefined)) await sleep(pollMs)
  }
  for (const api of APIS) {
    fetches[api].after = await options.listFetches(api)
  }
  timeline.sort((a, b) => a.atMs - b.atMs)

  const elapsed = Math.max(...APIS.map((api) => refusedAfterMs[api] ?? now() - revokedAt))
  // One fetch brings the revocation; polling for up to ttl + margin may straddle one more refresh of the list.
  const allowed = Math.ceil(elapsed / (ttl * 1000)) + 1
  const delta = (api: Api) => (fetches[api].after ?? 0) - (fetches[api].before ?? 0)
  const wereGood = APIS.every((api) => before[api].status === 200)
  const allRefused = APIS.every((api) => refusal[api] !== undefined && isRevokedAnswer(refusal[api]))
  const fewFetches = APIS.every(
    (api) => fetches[api].before !== undefined && delta(api) >= 1 && delta(api) <= allowed,
  )
  const ok = wereGood && revoked && allRefused && fewFetches
  const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`)
  const story = APIS.map(
    (api) =>
      `${NAMES[api]} refused it ${seconds(refusedAfterMs[api])} after the revocation, having fetched the list ${delta(api)} time(s) while answering ${requests[api]} request(s)`,
  ).join('; ')
  let explanation: string
  if (ok) {
    explanation = `${story}. Each API learnt of the revocation from its next status-list fetch (one per ttl of ${ttl} s), not from a call per request: the delay is bounded by the ttl, and the auth-server's load does not grow with API traffic.`
  } else if (!wereGood) {
    explanation = `Expected both tokens to be accepted before the revocation, got ${APIS.map((api) => before[api].status ?? before[api].networkError).join(' and ')}.`
  } else if (!revoked) {
    explanation = 'The auth-server did not accept the revocation.'
  } else if (!allRefused) {
    explanation = `Expected both APIs to refuse the revoked tokens with 401 "The access token has been revoked" within ttl + ${(options.marginMs ?? 2000) / 1000} s: ${story}.`
  } else {
    explanation = `Expected one status-list fetch per ttl (${ttl} s) per API, at most ${allowed}, and never one per request: ${story}.`
  }
  return { before, revoked, refusal, refusedAfterMs, fetches, requests, timeline, ttl, ok, explanation }
}
