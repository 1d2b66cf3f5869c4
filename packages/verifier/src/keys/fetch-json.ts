import { verifierError } from '../errors.js'

export interface FetchJsonOptions {
  fetch: typeof fetch
  timeoutMs: number
  maxBytes: number
  /** Aborted when the verifier closes, so no fetch outlives it. */
  signal: AbortSignal
}

/** Reads a response body, refusing more than `maxBytes` (declared or actually sent). */
export async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'))
  if (Number.isFinite(declared) && declared > maxBytes)
    throw new Error(`response larger than ${maxBytes} bytes`)
  if (response.body === null) return ''
  const chunks: Uint8Array[] = []
  let total = 0
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    total += chunk.byteLength
    if (total > maxBytes) throw new Error(`response larger than ${maxBytes} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * GETs a JSON document with a real deadline: the AbortSignal covers connecting, headers and body, so a server that
 * hangs or trickles bytes cannot hold a request past `timeoutMs`. Redirects are refused so keys only ever come
 * from the configured URL. Every failure becomes `VERIFIER_ERR_JWKS_UNAVAILABLE`.
 */
export async function fetchJson(url: string, options: FetchJsonOptions): Promise<unknown> {
  const signal = AbortSignal.any([AbortSignal.timeout(options.timeoutMs), options.signal])
  try {
    const response = await options.fetch(url, {
      signal,
      redirect: 'error',
      headers: { accept: 'application/json' },
    })
    if (!response.ok) {
      await response.body?.cancel().catch(() => {})
      throw new Error(`HTTP ${response.status}`)
    }
    return JSON.parse(await readCapped(response, options.maxBytes))
  } catch (err) {
    const reason = signal.aborted
      ? options.signal.aborted
        ? 'verifier closed'
        : `timed out after ${options.timeoutMs} ms`
      : err instanceof Error
        ? err.message
        : String(err)
    // The URL and reason go to logs/events through `cause`, never into the client-facing description.
    throw verifierError('VERIFIER_ERR_JWKS_UNAVAILABLE', 'The signing keys cannot be loaded right now', {
      cause: new Error(`Cannot load ${url}: ${reason}`, { cause: err }),
    })
  }
}
