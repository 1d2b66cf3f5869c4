import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { ConfigError } from './errors.js'

/**
 * Listens and closes cleanly on SIGTERM/SIGINT (letting in-flight requests finish) or on a crash. This is the
 * only place a resource server touches the process; `buildApp` stays free of it for tests.
 */
export async function startServer(
  app: FastifyInstance,
  listen: { port: number; host: string },
  graceDelayMs = 10_000,
): Promise<void> {
  closeWithGrace({ delay: graceDelayMs }, async ({ err, signal }) => {
    if (err) app.log.error({ err }, 'closing after an error')
    else app.log.info({ signal }, 'closing')
    await app.close()
  })
  await app.listen(listen)
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
