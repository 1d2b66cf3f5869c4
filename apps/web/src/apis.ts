import { setTimeout as sleep } from 'node:timers/promises'
import { DpopClient, type DpopKey } from '@stateless-auth/dpop-client'
import { decodeJwt } from '@stateless-auth/experiments'
import type { Api } from './session/store.js'

/** What one API answered, as the page shows it. */
export interface ApiAnswer {
  /** `scheme`: `DPoP` with a proof of the session's key (RFC 9449), or `Bearer`. */
  request: { method: string; url: string; kid: string | undefined; aud: unknown; scheme: 'Bearer' | 'DPoP' }
  status: number | undefined
  body: unknown
  wwwAuthenticate: string | undefined
  /** Set when the API could not be reached at all. */
  networkError?: string
  /**
   * Why each earlier attempt failed, when an idempotent call (GET, HEAD) was sent again: a connection error's code
   * (`ECONNRESET`, …) or `503` (a replica draining or not ready yet).
   */
  retried?: string[]
}

/** The API's own counters, read from its `/metrics` before and after a call. */
export interface Observation {
  jwksFetches: { before: number | undefined; after: number | undefined }
  verified: { before: number | undefined; after: number | undefined }
  failed: { before: number | undefined; after: number | undefined }
}

export interface ObservedCall extends ApiAnswer {
  api: Api
  observation: Observation
}

/** Sums every series of each counter in a Prometheus text exposition (format 0.0.4). */
export function parseCounters(text: string): Map<string, { total: number; series: Map<string, number> }> {
  const counters = new Map<string, { total: number; series: Map<string, number> }>()
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)/.exec(line)
    if (!match) continue
    const value = Number(match[3])
    if (!Number.isFinite(value)) continue
    const name = match[1]!
    const entry = counters.get(name) ?? { total: 0, series: new Map() }
    entry.total += value
    entry.series.set(match[2] ?? '', value)
    counters.set(name, entry)
  }
  return counters
}

const IDEMPOTENT = new Set(['GET', 'HEAD'])
/** The pauses before the second and third attempt of an idempotent call. */
const RETRY_DELAYS_MS = [100, 300]
/**
 * Connection failures worth a second attempt, as undici's `fetch` reports them (a `TypeError` whose `cause` has the
 * code): refused (a replica restarting), reset or closed under the request (`UND_ERR_SOCKET`, "other side closed":
 * a replica closing a keep-alive connection as the request went out). Not a timeout: the deadline is spent.
 */
const RETRYABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'EHOSTUNREACH', 'UND_ERR_SOCKET'])

/** The retryable connection failure's code in an error's `cause` chain, if it is one. */
function connectionFailure(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && RETRYABLE_CODES.has(e.code)) return e.code
    e = e.cause as typeof e
  }
  return undefined
}

interface Snapshot {
  jwksFetches: number
  verified: number
  failed: number
}

/**
 * Calls the APIs for the page. A token the session's DPoP key is bound to (`keyFor` knows it) goes with the
 * `DPoP` scheme and a fresh proof of that key (RFC 9449 §7), any other as `Bearer`.
 */
export function createApiClient(
  urls: Record<Api, string>,
  timeoutMs = 5000,
  keyFor: (token: string) => DpopKey | undefined = () => undefined,
) {
  async function snapshot(api: Api): Promise<Snapshot | undefined> {
    try {
      const res = await fetch(`${urls[api]}/metrics`, { signal: AbortSignal.timeout(timeoutMs) })
      if (!res.ok) return undefined
      const counters = parseCounters(await res.text())
      const verifications = counters.get('token_verifications_total')?.series ?? new Map<string, number>()
      let verified = 0
      let failed = 0
      for (const [labels, value] of verifications) {
        if (labels.includes('outcome="verified"')) verified += value
        else failed += value
      }
      return { jwksFetches: counters.get('jwks_fetches_total')?.total ?? 0, verified, failed }
    } catch {
      return undefined
    }
  }

  async function send(
    api: Api,
    method: string,
    path: string,
    token: string,
    body?: unknown,
    /** Sent exactly as given instead of the token's own scheme and proof (the steal experiment's thief). */
    raw?: { authorization: string; dpop?: string },
  ): Promise<ApiAnswer> {
    const decoded = decodeJwt(token)
    const url = `${urls[api]}${path}`
    const key = raw ? undefined : keyFor(token)
    const answer: ApiAnswer = {
      request: {
        method,
        url,
        kid: decoded?.header.kid as string | undefined,
        aud: decoded?.payload.aud,
        scheme: key || raw?.authorization.startsWith('DPoP ') ? 'DPoP' : 'Bearer',
      },
      status: undefined,
      body: undefined,
      wwwAuthenticate: undefined,
    }
    // One deadline for every attempt: a retry never makes the page wait longer than `timeoutMs`.
    const signal = AbortSignal.timeout(timeoutMs)
    const init = {
      method,
      headers: (body === undefined ? {} : { 'content-type': 'application/json' }) as Record<string, string>,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal,
    }
    const dpop = key ? new DpopClient(key) : undefined
    // Each attempt is a new request: with DPoP, a new proof (a proof's jti is good once, RFC 9449 §11.1).
    const attempt = async () => {
      const res = dpop
        ? await dpop.fetch(url, { ...init, accessToken: token })
        : await fetch(url, {
            ...init,
            headers: { ...init.headers, ...(raw ?? { authorization: `Bearer ${token}` }) },
          })
      // Read here, so that a connection reset in the middle of the body counts as a failed attempt too.
      return { res, text: await res.text() }
    }
    // Only idempotent calls are sent again (RFC 9110 §9.2.2), and never `raw` ones: their proof was used.
    const retries = IDEMPOTENT.has(method) && !raw ? RETRY_DELAYS_MS : []
    try {
      for (let n = 0; ; n++) {
        let cause: string | undefined
        try {
          const { res, text } = await attempt()
          if (res.status === 503 && n < retries.length) cause = '503'
          else {
            answer.status = res.status
            answer.wwwAuthenticate = res.headers.get('www-authenticate') ?? undefined
            try {
              answer.body = JSON.parse(text)
            } catch {
              answer.body = text
            }
            break
          }
        } catch (err) {
          cause = connectionFailure(err)
          if (cause === undefined || n >= retries.length) throw err
        }
        answer.retried = [...(answer.retried ?? []), cause]
        await sleep(retries[n], undefined, { signal })
      }
    } catch (err) {
      const code = connectionFailure(err)
      answer.networkError = code ? `${(err as Error).message} (${code})` : (err as Error).message
    }
    return answer
  }

  return {
    snapshot,
    /** The URL a call to `path` of `api` goes to (what a DPoP proof names). */
    urlOf: (api: Api, path: string) => `${urls[api]}${path}`,
    /**
     * Calls the API with `token` and reads its counters around the call, so the page can show what it did. With
     * `raw`, these `Authorization` and `DPoP` headers are sent as they are (what a thief holding them sends).
     */
    async call(...args: Parameters<typeof send>): Promise<ObservedCall> {
      const api = args[0]
      const before = await snapshot(api)
      const answer = await send(...args)
      const after = await snapshot(api)
      return {
        api,
        ...answer,
        observation: {
          jwksFetches: { before: before?.jwksFetches, after: after?.jwksFetches },
          verified: { before: before?.verified, after: after?.verified },
          failed: { before: before?.failed, after: after?.failed },
        },
      }
    },
  }
}

export type ApiClient = ReturnType<typeof createApiClient>

export const API_PATHS: Record<Api, string> = { orders: '/orders', inventory: '/inventory' }
