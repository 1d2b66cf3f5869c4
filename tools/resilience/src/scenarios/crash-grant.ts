import { setTimeout as sleep } from 'node:timers/promises'
import { createLocalJWKSet, jwtVerify } from 'jose'
import { checkAuthDatabase, jtiOf } from '../invariants.js'
import { basicAuth, CookieJar, codeForm, signIn, signInCode, WEB_CLIENT } from '../oauth.js'
import { inspect, ORDERS_AUDIENCE, startStack } from '../stack.js'
import { percentile, Recorder } from '../traffic.js'
import { row, type ScenarioContext, seconds } from './common.js'

const BATCH = 4

/**
 * Scenario 3: SIGKILL the auth-server at a random moment while code redemptions and refresh rotations are in
 * flight, many times over; then check its database: every code unused or consumed with its tokens recorded, every
 * refresh-token family with exactly one live token, every token a client received on record, the signing keys
 * unchanged and every access token issued still verifying.
 */
export async function crashGrant(ctx: ScenarioContext) {
  const { profile } = ctx
  const { auth, databases } = await startStack(ctx, { apis: [] })
  const result = row(
    '3. crash in the middle of a grant',
    `${BATCH} code redemptions + ${BATCH} refresh rotations at once, per crash`,
    `SIGKILL the auth-server at a random moment, ${profile.crashes} times`,
  )
  const jwksBefore = await (await fetch(`${auth.url}/jwks`)).text()
  const received = { jtis: [] as string[], refreshTokens: [] as string[], access: [] as string[] }
  const rec = new Recorder()
  const form = { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(WEB_CLIENT) }

  /** One batch of grants in flight; resolves when every request has an answer or failed. */
  const batch = async () => {
    const jar = new CookieJar()
    const codes = []
    const refreshTokens = []
    for (let i = 0; i < BATCH; i++) {
      codes.push(await signInCode(auth.url, jar, ORDERS_AUDIENCE))
      refreshTokens.push((await signIn(auth.url, jar, ORDERS_AUDIENCE)).refresh_token)
    }
    const bodies = [
      ...codes.map((code) => new URLSearchParams(codeForm(code))),
      ...refreshTokens.map(
        (token) => new URLSearchParams({ grant_type: 'refresh_token', refresh_token: token }),
      ),
    ]
    return async () => {
      await Promise.all(
        bodies.map(async (body) => {
          const answer = await rec.send('grant', `${auth.url}/token`, { method: 'POST', headers: form, body })
          if (answer?.status !== 200) return
          const tokens = JSON.parse(answer.body) as { access_token: string; refresh_token: string }
          received.access.push(tokens.access_token)
          received.jtis.push(jtiOf(tokens.access_token))
          received.refreshTokens.push(tokens.refresh_token)
        }),
      )
    }
  }

  // How long a batch takes when nothing happens to it: the window the kills are spread over.
  const calibrationStart = Date.now()
  await (await batch())()
  const window = Math.max(5, Date.now() - calibrationStart)
  const readyTimes: number[] = []
  let interrupted = 0
  for (let crash = 0; crash < profile.crashes; crash++) {
    const fire = await batch()
    const before = rec.samples.length
    const inFlight = fire()
    await sleep(Math.random() * window)
    await auth.kill('SIGKILL')
    await inFlight
    interrupted += rec.samples.slice(before).filter((s) => s.cause !== 'ok').length
    readyTimes.push(await auth.start())
  }

  const db = await inspect(ctx, databases['auth-server']!)
  result.violations.push(...(await checkAuthDatabase(db, received)))
  const jwksAfter = await (await fetch(`${auth.url}/jwks`)).text()
  if (jwksAfter !== jwksBefore) result.violations.push('the JWKS changed across the crashes')
  const keys = createLocalJWKSet(JSON.parse(jwksAfter))
  let unverifiable = 0
  for (const token of received.access) {
    await jwtVerify(token, keys, { issuer: auth.url }).catch(() => unverifiable++)
  }
  if (unverifiable > 0) result.violations.push(`${unverifiable} issued access tokens no longer verify`)

  result.sent = rec.sent()
  result.failed = rec.failures()
  const lost = result.violations.filter((v) => /without|lost|no row/.test(v))
  result.lost = lost.length === 0 ? 'none' : lost.join('; ')
  result.recovery = `ready ${seconds(percentile(readyTimes, 50))} after restart (median), max ${seconds(Math.max(...readyTimes))}`
  result.notes.push(
    `${profile.crashes} kills spread over a ${window} ms window; ${interrupted} grant requests cut off by a kill (expected: the client retries with a new sign-in); ${received.access.length} answered 200, every one verifying against the unchanged JWKS`,
  )
  return result
}
