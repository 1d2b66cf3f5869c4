import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  createNarrator,
  DEMO_PASSWORD,
  Launcher,
  LOCAL_ADMIN_TOKEN,
  runWalkthrough,
  type ServiceName,
  type StepRecord,
  serviceUrls,
  summaryTable,
} from '@stateless-auth/demo'
import { freePort } from '@stateless-auth/service-kit/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// The built services as `pnpm demo` runs them (child processes of dist/server.js), on free ports of 127.0.0.1,
// each with a fresh database so the run does not depend on what an earlier one left behind.
describe('pnpm demo walkthrough', () => {
  let launcher: Launcher
  let dataDir: string
  let records: StepRecord[] = []
  const lines: string[] = []

  beforeAll(async () => {
    const ports = {} as Record<ServiceName, number> & { admin: number }
    for (const name of ['auth-server', 'orders-api', 'inventory-api', 'web', 'admin'] as const)
      ports[name] = await freePort()
    dataDir = mkdtempSync(join(tmpdir(), 'demo-test-'))
    launcher = new Launcher({
      ports,
      host: '127.0.0.1',
      settings: { accessTokenTtl: 10, jwksMaxAge: 2, statusListTtl: 2 },
      databaseDir: dataDir,
      extraEnv: { LOG_LEVEL: 'warn' },
    })
    await launcher.start('auth-server')
    await Promise.all([launcher.start('orders-api'), launcher.start('inventory-api')])
    const narrator = createNarrator((line) => lines.push(line))
    await runWalkthrough(
      {
        urls: serviceUrls(ports, '127.0.0.1'),
        adminToken: LOCAL_ADMIN_TOKEN,
        password: DEMO_PASSWORD,
        maxWaitSeconds: 30,
        clockTolerance: 5,
        authServer: { stop: () => launcher.stop('auth-server'), start: () => launcher.start('auth-server') },
      },
      narrator,
    )
    records = narrator.summary()
  }, 120_000)

  afterAll(async () => {
    await launcher?.stopAll()
    if (dataDir) rmSync(dataDir, { recursive: true, force: true })
  })

  it('runs every step, none skipped, each as explained', () => {
    const table = summaryTable(records)
    expect(records.map((r) => r.title)).toEqual([
      'Sign in as alice with demo-cli',
      'Decode the access token',
      'Place an order and list them at orders-api',
      'Get an inventory-api token and call inventory-api',
      'The APIs fetched the keys once',
      'Tamper with a claim',
      'Present the orders token to inventory-api',
      'Sign in again with a DPoP key',
      'Steal the token',
      'Expiry, then refresh',
      'Refresh-token reuse detection',
      'Rotate the signing key',
      'Revoke the access tokens',
      'Stop the auth-server',
    ])
    expect(
      records.filter((r) => r.verdict !== 'ok'),
      `${lines.join('\n')}\n${table}`,
    ).toEqual([])
  })

  it('narrates what was sent, what came back and why for each step', () => {
    const text = lines.join('\n')
    expect(text).toContain('← 401 WWW-Authenticate: Bearer realm="orders-api", error="invalid_token"')
    expect(text).toMatch(/R1 again: 400 invalid_grant; R2: 400 invalid_grant/)
    expect(text).toMatch(/token_type=DPoP, cnf \{"jkt":"[\w-]{43}"\}/)
    expect(text).toMatch(/thief: stolen Bearer token\n.*← 200 /)
    expect(text).toMatch(
      /sent as Bearer\n.*← 401 WWW-Authenticate: Bearer realm="orders-api", error="invalid_token"/,
    )
    expect(text).toMatch(/thief’s own key\n.*← 401 .*Invalid DPoP key binding/)
    expect(text).toMatch(/captured and replayed\n.*← 401 .*error="invalid_dpop_proof"/)
    expect(text).toMatch(/auth-server: unreachable .*; orders-api 200; inventory-api 200/)
    // Revocation: both APIs refuse within the 2 s ttl (+ the experiment's 2 s margin), each after a list fetch.
    expect(text).toMatch(/POST \/revoke token=<orders token>, then token=<inventory token>: 200, 200/)
    for (const api of ['orders', 'inventory']) {
      const refused = new RegExp(`← \\+(\\d+\\.\\d) s  ${api}-api: refused \\(401 .*has been revoked`).exec(
        text,
      )
      expect(refused, text).not.toBeNull()
      expect(Number(refused![1])).toBeLessThanOrEqual(4)
      expect(text).toMatch(
        new RegExp(`\\+\\d+\\.\\d s  ${api}-api: list fetch \\(status_list_fetches_total \\d+ → \\d+\\)`),
      )
    }
    const counters =
      /status_list_fetches_total orders-api (\d+) → (\d+), inventory-api (\d+) → (\d+), for (\d+) \+ (\d+) requests/.exec(
        text,
      )
    expect(counters, text).not.toBeNull()
    const [, ob, oa, ib, ia, or, ir] = counters!.map(Number)
    // One fetch (at most two, if polling straddled a refresh) per API, whatever the number of requests.
    expect([oa! - ob!, ia! - ib!].every((d) => d >= 1 && d <= 2)).toBe(true)
    expect(or! + ir!).toBeGreaterThan(2)
    expect(lines.filter((l) => l.startsWith('   ∵ ')).length).toBeGreaterThanOrEqual(records.length)
  })
})
