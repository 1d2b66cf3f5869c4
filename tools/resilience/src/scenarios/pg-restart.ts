import { execFileSync } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { checkAuthDatabase, jtiOf } from '../invariants.js'
import { basicAuth, CookieJar, ORDERS_CLIENT, refresh, signIn } from '../oauth.js'
import type { CliOptions } from '../options.js'
import { type Backend, inspect, ORDERS_AUDIENCE, startStack } from '../stack.js'
import { loops, Recorder, type Sample } from '../traffic.js'
import { row, type ScenarioContext, seconds, until } from './common.js'

/** The auth-server must serve again within this long after PostgreSQL is back (issue 15, scenario 2). */
const RECOVERY_MS = 5000

/** The Debian cluster (`pg_lsclusters`) serving TEST_DATABASE_URL's port, if this process may control it. */
function cluster(): { version: string; name: string } | string {
  if (process.getuid?.() !== 0) return 'not root: cannot run pg_ctlcluster'
  const port = new URL(process.env.TEST_DATABASE_URL ?? 'postgres://x').port || '5432'
  let listing: string
  try {
    listing = execFileSync('pg_lsclusters', ['--no-header'], { encoding: 'utf8' })
  } catch {
    return 'pg_lsclusters is not available (not a Debian PostgreSQL)'
  }
  for (const line of listing.split('\n')) {
    const [version, name, clusterPort] = line.trim().split(/\s+/)
    if (version && name && clusterPort === port) return { version, name }
  }
  return `no local cluster on port ${port}`
}

/**
 * Why scenario 2 does not run, or undefined. It restarts the whole PostgreSQL cluster, which other test suites on
 * the machine may be using: it runs in the full run and with --pg-restart, and in --quick only under CI=true (CI
 * owns its cluster and runs nothing else meanwhile).
 */
export function pgRestartSkipReason(
  backend: Backend,
  options: Pick<CliOptions, 'pgRestart' | 'profile'>,
): string | undefined {
  if (backend !== 'postgres') return 'TEST_DATABASE_URL unset (SQLite run)'
  if (options.pgRestart === false) return '--no-pg-restart'
  if (options.pgRestart === undefined && options.profile.name === 'quick' && process.env.CI !== 'true')
    return 'quick run outside CI (the cluster may be shared): pass --pg-restart'
  const found = cluster()
  return typeof found === 'string' ? found : undefined
}

function pgctl(action: 'restart' | 'stop' | 'start'): void {
  const found = cluster()
  if (typeof found === 'string') throw new Error(found)
  execFileSync('pg_ctlcluster', [found.version, found.name, action], { stdio: 'inherit' })
}

/**
 * Scenario 2: PostgreSQL restarts, then stops for a while, under the auth-server's load (client credentials,
 * refresh rotations, sign-ins). While it is down every answer is 503 with Retry-After (never 500, never a crash)
 * and /ready is false; the auth-server serves again within 5 s of PostgreSQL's return without a restart of its own;
 * its database then shows no refresh token redeemed twice, no family both rotated and valid, no token without a row.
 */
export async function pgRestart(ctx: ScenarioContext) {
  const { profile } = ctx
  const { auth, databases } = await startStack(ctx, { apis: [] })
  const jar = new CookieJar()
  const families: string[] = []
  for (let i = 0; i < profile.concurrency; i++)
    families.push((await signIn(auth.url, jar, ORDERS_AUDIENCE)).refresh_token)
  const result = row(
    '2. PostgreSQL restarts under the auth-server',
    `${profile.concurrency} clients: client credentials, refresh rotations, sign-ins; /ready polled`,
    `pg_ctlcluster restart; then stop for ${profile.pgStopSeconds} s`,
  )
  const rec = new Recorder()
  const received = { jtis: [] as string[], refreshTokens: [] as string[] }
  const redeemed = new Map<string, number>()
  let familiesLost = 0
  const form = { 'content-type': 'application/x-www-form-urlencoded' }
  const expected = (s: number) => s === 200 || s === 503
  let iteration = 0
  const load = loops(profile.concurrency, async (worker) => {
    const op = iteration++ % 4
    if (op === 0) {
      const answer = await rec.send(
        'token',
        `${auth.url}/token`,
        {
          method: 'POST',
          headers: { ...form, authorization: basicAuth(ORDERS_CLIENT) },
          body: 'grant_type=client_credentials',
        },
        expected,
      )
      if (answer?.status === 200)
        received.jtis.push(jtiOf((JSON.parse(answer.body) as { access_token: string }).access_token))
    } else if (op === 3) {
      await rec.time('sign-in', () => signIn(auth.url, new CookieJar(), ORDERS_AUDIENCE)).catch(() => {})
    } else {
      const token = families[worker]!
      const start = rec.now()
      const answer = await refresh(auth.url, token).catch(() => undefined)
      rec.samples.push({
        label: 'refresh',
        start,
        end: rec.now(),
        status: answer?.status ?? 0,
        cause:
          answer && expected(answer.status)
            ? 'ok'
            : answer
              ? `HTTP ${answer.status} ${String(answer.body.error)}`
              : 'no answer',
      })
      if (answer?.status === 200) {
        redeemed.set(token, (redeemed.get(token) ?? 0) + 1)
        families[worker] = answer.body.refresh_token as string
        received.refreshTokens.push(families[worker]!)
        received.jtis.push(jtiOf(answer.body.access_token as string))
      } else if (answer?.status === 400) {
        // The family is gone (a rotation committed whose answer was a failure): start a new one.
        familiesLost++
        families[worker] = (
          await signIn(auth.url, jar, ORDERS_AUDIENCE).catch(() => ({ refresh_token: token }))
        ).refresh_token
      }
    }
  })
  const ready: Sample[] = []
  const readyProbe = loops(1, async () => {
    const start = rec.now()
    const res = await fetch(`${auth.url}/ready`, { signal: AbortSignal.timeout(2000) }).catch(() => undefined)
    await res?.arrayBuffer()
    ready.push({
      label: 'ready',
      start,
      end: rec.now(),
      status: res?.status ?? 0,
      cause: res?.ok ? 'ok' : 'not ready',
    })
    await sleep(100)
  })

  await sleep(2000)
  const recovery: string[] = []
  const served = async (since: number) =>
    until(() => rec.samples.some((s) => s.label === 'token' && s.start >= since && s.status === 200), 60_000)
  pgctl('restart')
  let back = rec.now()
  await served(back)
  recovery.push(`after restart: ${seconds(rec.now() - back)}`)
  if (rec.now() - back > RECOVERY_MS)
    result.violations.push(`not serving ${seconds(rec.now() - back)} after the restart`)
  await sleep(2000)
  pgctl('stop')
  const downFrom = rec.now()
  await sleep(profile.pgStopSeconds * 1000)
  const downTo = rec.now()
  pgctl('start')
  back = rec.now()
  await served(back)
  const stopRecovery = rec.now() - back
  recovery.push(`after ${profile.pgStopSeconds} s stopped: ${seconds(stopRecovery)}`)
  if (stopRecovery > RECOVERY_MS)
    result.violations.push(`not serving ${seconds(stopRecovery)} after PostgreSQL returned`)
  await sleep(2000)
  await load.stop()
  await readyProbe.stop()

  // A sign-in is several requests; one refused with 503 is the expected answer, like any other 503.
  for (const s of rec.samples) {
    if (s.label === 'sign-in' && / 503 /.test(s.cause)) Object.assign(s, { status: 503, cause: 'ok' })
  }
  if (!auth.running) result.violations.push('the auth-server exited')
  const http500 = rec.samples.filter((s) => s.status >= 500 && s.status !== 503)
  if (http500.length > 0)
    result.violations.push(
      `${http500.length} answers were ${[...new Set(http500.map((s) => s.status))].join('/')}`,
    )
  const noRetryAfter = rec.samples.filter(
    (s) => s.status === 503 && s.headers && !s.headers.get('retry-after'),
  )
  if (noRetryAfter.length > 0)
    result.violations.push(`${noRetryAfter.length} 503 answers without Retry-After`)
  const readyWhileDown = ready.filter((s) => s.start > downFrom + 1000 && s.end < downTo && s.status === 200)
  if (readyWhileDown.length > 0)
    result.violations.push(`/ready answered 200 ${readyWhileDown.length} times while PostgreSQL was stopped`)
  const twice = [...redeemed.values()].filter((n) => n > 1).length
  if (twice > 0) result.violations.push(`${twice} refresh tokens redeemed twice`)
  const db = await inspect(ctx, databases['auth-server']!)
  result.violations.push(...(await checkAuthDatabase(db, received)))
  result.sent = rec.sent()
  result.failed = rec.failures()
  const unavailable = rec.sent((s) => s.status === 503)
  result.notes.push(
    `${unavailable} answers 503 with Retry-After while PostgreSQL was away (expected, not counted as failed); /ready false ${ready.filter((s) => s.status !== 200).length} of ${ready.length} polls`,
  )
  if (familiesLost > 0)
    result.violations.push(
      `${familiesLost} refresh-token families lost: a rotation committed but its answer was an error`,
    )
  result.lost =
    familiesLost === 0 ? 'none' : `${familiesLost} refresh-token families (rotation committed, answer lost)`
  result.recovery = recovery.join('; ')
  return result
}
