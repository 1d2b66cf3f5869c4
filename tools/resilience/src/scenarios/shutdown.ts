import { setTimeout as sleep } from 'node:timers/promises'
import type { AppProcess } from '../apps.js'
import { basicAuth, CookieJar, ORDERS_CLIENT, signIn } from '../oauth.js'
import { ORDERS_AUDIENCE, startStack } from '../stack.js'
import { loops, Recorder, type Sample } from '../traffic.js'
import { bearer, row, type ScenarioContext, seconds } from './common.js'

/** The chassis' close-with-grace delay (packages/service-kit `startServer`, default 10 s). */
const GRACE_MS = 10_000

/**
 * Scenario 4: SIGTERM to orders-api, then to the auth-server, each under load. Every request sent before the
 * signal completes with its normal status; afterwards new connections are refused (ECONNREFUSED), never answered
 * 5xx; the process exits 0 within the grace delay. A request sent after the signal on a keep-alive connection the
 * server is closing may see the socket close before it is read: counted apart (the server never received it, the
 * caller retries), not as the reset of an in-flight request.
 */
export async function shutdown(ctx: ScenarioContext) {
  const { profile } = ctx
  const { auth, orders } = await startStack(ctx, { apis: ['orders-api'] })
  const token = (await signIn(auth.url, new CookieJar(), ORDERS_AUDIENCE)).access_token
  const result = row(
    '4. graceful shutdown under load',
    `${profile.concurrency} clients: GET /orders; then POST /token (client credentials) and GET /jwks`,
    'SIGTERM to orders-api, then to the auth-server',
  )
  const rec = new Recorder()
  const exits: string[] = []

  const terminate = async (app: AppProcess, step: (worker: number) => Promise<unknown>) => {
    const label = app.name
    const load = loops(profile.concurrency, step)
    await sleep(1500)
    const signalAt = rec.now()
    const exit = await app.kill('SIGTERM')
    await load.stop()
    const probe = await rec.send(`${label} after exit`, `${app.url}/health`)
    if (probe !== undefined) result.violations.push(`${label} still answered after its exit`)
    exits.push(`${label} exited ${exit.signal ?? `code ${exit.code}`} ${seconds(exit.ms)} after SIGTERM`)
    if (exit.code !== 0) result.violations.push(`${label} exited with ${exit.signal ?? exit.code}, not 0`)
    if (exit.ms > GRACE_MS)
      result.violations.push(`${label} took ${exit.ms} ms to exit (grace ${GRACE_MS} ms)`)
    const mine = (s: Sample) => s.label.startsWith(label)
    const inFlight = rec.samples.filter((s) => mine(s) && s.start < signalAt && s.cause !== 'ok')
    for (const s of inFlight)
      result.violations.push(`${label}: a request in flight at SIGTERM got ${s.cause}`)
    const after = rec.samples.filter((s) => mine(s) && s.start >= signalAt)
    const errors = after.filter((s) => s.status >= 500)
    if (errors.length > 0)
      result.violations.push(`${label}: ${errors.length} requests after SIGTERM answered 5xx`)
    for (const s of after) {
      if (s.cause === 'ECONNRESET') s.cause = 'closing keep-alive socket (not received, retryable)'
      if (s.cause === 'ECONNREFUSED') s.cause = 'refused after exit (clean)'
    }
  }

  await terminate(orders!, () => rec.send('orders-api', `${orders!.url}/orders`, bearer(token)))
  const form = {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(ORDERS_CLIENT) },
    body: 'grant_type=client_credentials',
  }
  await terminate(auth, (worker) =>
    worker % 2 === 0
      ? rec.send('auth-server token', `${auth.url}/token`, form)
      : rec.send('auth-server jwks', `${auth.url}/jwks`),
  )
  result.sent = rec.sent()
  result.failed = rec.failures()
  result.recovery = exits.join('; ')
  result.notes.push(
    '`docker compose restart` of one of three orders-api replicas behind the web app is not covered here (no Docker in this tool); see the compose test',
  )
  return result
}
