/**
 * The only place a service touches the process: listen, and close cleanly on SIGTERM/SIGINT (in-flight requests
 * finish, then `onClose` hooks close pools) or on a crash. `buildApp` stays free of it for tests.
 */

import type { ServerResponse } from 'node:http'
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from './config.js'

export interface Listener {
  app: FastifyInstance
  port: number
  host: string
}

export interface StartOptions {
  port: number
  host: string
  /**
   * More instances of the same service on their own address (an operator listener on loopback, say): listened
   * before the main one, and drained and closed with it.
   */
  alongside?: Listener[]
  /** Longest wait for in-flight requests and pools before the process exits anyway, in ms. Default 10 s. */
  graceDelayMs?: number
}

/**
 * Listens on `port`/`host` and hands SIGTERM, SIGINT and fatal errors to `close-with-grace`, which calls
 * `app.close()`: the server stops accepting connections, waits for in-flight requests, then runs `onClose`.
 * Returns the uninstaller, for tests and embedders.
 *
 * @example
 * ```ts
 * const config = configOrExit(() => loadConfig())
 * const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
 * await startServer(app, { port: config.port, host: config.host })
 * ```
 */
export async function startServer(app: FastifyInstance, options: StartOptions): Promise<() => void> {
  const listeners: Listener[] = [
    ...(options.alongside ?? []),
    { app, port: options.port, host: options.host },
  ]
  let closing = false
  const inFlight = new Set<ServerResponse>()
  // Once closing, every answer says `Connection: close` (issue 15, scenario 4): the client opens a new connection
  // for its next request, which is refused cleanly, instead of writing it to a kept-alive socket the server is
  // about to close (a reset the client cannot tell from a lost request).
  const lastOnConnection = (response: ServerResponse) => {
    if (!response.headersSent) response.setHeader('connection', 'close')
  }
  // A keep-alive connection whose request finishes after closing began would hold close() open until the
  // grace delay: once its response is sent, it is idle, and is closed like the ones that were idle already.
  for (const { app: instance } of listeners) {
    instance.server.on('request', (_request, response) => {
      if (closing) lastOnConnection(response)
      else inFlight.add(response)
      response.once('finish', () => {
        inFlight.delete(response)
        if (closing) setImmediate(() => instance.server.closeIdleConnections())
      })
    })
  }
  const grace = closeWithGrace({ delay: options.graceDelayMs ?? 10_000 }, async ({ err, signal }) => {
    closing = true
    for (const response of inFlight) lastOnConnection(response)
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    // Every listener stops accepting at once and drains its own in-flight requests.
    await Promise.all(listeners.map((listener) => listener.app.close()))
  })
  for (const listener of listeners) await listener.app.listen({ port: listener.port, host: listener.host })
  return () => grace.uninstall()
}

/**
 * Runs `load` (a config loader) and, on a configuration error, prints its message alone and exits with 1: an
 * operator needs "CLIENT_SECRET must be set", not a stack trace.
 */
export function configOrExit<T>(load: () => T): T {
  try {
    return load()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message)
      process.exit(1)
    }
    throw error
  }
}
