import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'

export type ProxyMode = 'pass' | 'hang' | 'garbage' | 'slow'

/**
 * A dependency between two services, made to misbehave on demand: passes requests through, hangs without ever
 * answering, answers 200 with a body that is not JSON, or forwards each request only after `delayMs` (a slow
 * network: the request still arrives, late, even when the caller has given up on it).
 */
export class FaultProxy {
  mode: ProxyMode = 'pass'
  delayMs = 0
  target = ''
  /** Requests received per mode: shows that each fault was really met. */
  readonly requests: Record<ProxyMode, number> = { pass: 0, hang: 0, garbage: 0, slow: 0 }
  readonly #hanging = new Set<ServerResponse>()
  readonly #server = createServer((req, res) => void this.#handle(req, res))

  static async start(): Promise<FaultProxy> {
    const proxy = new FaultProxy()
    await new Promise<void>((resolve) => proxy.#server.listen(0, '127.0.0.1', resolve))
    return proxy
  }

  get url(): string {
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const mode = this.mode
    this.requests[mode]++
    const chunks: Buffer[] = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    if (mode === 'hang') {
      this.#hanging.add(res)
      return
    }
    if (mode === 'garbage') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [{"kty": "RSA", garbage')
      return
    }
    if (mode === 'slow') await sleep(this.delayMs)
    const headers: Record<string, string> = {}
    // What a client's request carries through a real proxy: credentials (Bearer or DPoP, with its proof).
    for (const name of ['authorization', 'dpop', 'content-type', 'accept']) {
      const value = req.headers[name]
      if (typeof value === 'string') headers[name] = value
    }
    try {
      const upstream = await fetch(`${this.target}${req.url}`, {
        method: req.method ?? 'GET',
        headers,
        ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
      })
      const body = Buffer.from(await upstream.arrayBuffer())
      const answered: Record<string, string> = {
        'content-type': upstream.headers.get('content-type') ?? 'text/plain',
      }
      // The challenges and hints a client acts on: RFC 6750/9449 challenges, DPoP nonces, Retry-After.
      for (const name of ['www-authenticate', 'dpop-nonce', 'retry-after']) {
        const value = upstream.headers.get(name)
        if (value !== null) answered[name] = value
      }
      res.writeHead(upstream.status, answered)
      res.end(body)
    } catch {
      // The service behind is down: so is the connection to it.
      req.socket.destroy()
    }
  }

  async close(): Promise<void> {
    for (const res of this.#hanging) res.destroy()
    this.#server.closeAllConnections()
    await new Promise((resolve) => this.#server.close(resolve))
  }
}
