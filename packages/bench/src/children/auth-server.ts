/**
 * The real auth-server (`startAuthServer`), in its own process, counting the requests it receives so the bench
 * can show how many a resource server made. Configuration: `BENCH_AUTH_ENV` (JSON of auth-server variables).
 */
import { startAuthServer } from '@stateless-auth/auth-server/testing'
import { BenchError } from '../errors.js'
import { reportFailure, serveParent } from '../processes.js'

export type AuthServerCounts = Record<string, number>

try {
  const raw = process.env.BENCH_AUTH_ENV
  if (raw === undefined) throw new BenchError('BENCH_ERR_INVALID_CONFIG', 'BENCH_AUTH_ENV is not set')
  const overrides = JSON.parse(raw) as Record<string, string>
  const server = await startAuthServer(overrides)
  const counts: AuthServerCounts = {}
  // A second 'request' listener on the node server sees every request without touching the app's hooks.
  server.app.server.on('request', (request: { url?: string }) => {
    const path = (request.url ?? '').split('?')[0] ?? ''
    counts[path] = (counts[path] ?? 0) + 1
  })
  serveParent(
    server.url,
    (question) => (question === 'counts' ? { ...counts } : undefined),
    () => server.close(),
  )
} catch (error) {
  reportFailure(error)
}
