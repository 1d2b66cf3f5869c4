import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, withCleanups } from '@stateless-auth/service-kit/testing'
import { BenchError } from '../errors.js'
import type { BenchProfile } from '../options.js'
import { type Child, startApp, startChild } from '../processes.js'
import type { Table } from '../report/model.js'
import { RESOURCE_BODY, RESOURCE_PATH, type TargetConfig } from '../targets.js'

export interface ScenarioContext {
  profile: BenchProfile
  log: (line: string) => void
  /** Extra node flags for resource-server children (e.g. `--cpu-prof`). */
  resourceExecArgv: string[]
  /** Resources to release when the scenario ends, last registered first. */
  defer(cleanup: () => Promise<void> | void): void
}

export type Scenario = (ctx: ScenarioContext) => Promise<Table[]>

/** Runs a scenario and releases everything it started, even when it fails. */
export async function runScenario(
  scenario: Scenario,
  base: Omit<ScenarioContext, 'defer'>,
): Promise<Table[]> {
  return withCleanups((defer) => scenario({ ...base, defer }), base.log)
}

/** A temporary directory removed when the scenario ends. */
export function tempDir(ctx: ScenarioContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `stateless-auth-bench-${prefix}-`))
  ctx.defer(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** The auth-server variables every bench instance shares: quiet, no rate limit in the way, long-lived tokens. */
export const AUTH_SERVER_ENV = {
  LOG_LEVEL: 'silent',
  RATE_LIMIT_TOKEN_MAX: '1000000',
  RATE_LIMIT_LOGIN_MAX: '1000000',
  RATE_LIMIT_AUTHORIZE_MAX: '1000000',
  ACCESS_TOKEN_TTL: '3600',
  KEY_ROTATION_INTERVAL: '0',
  // Several instances run at once: each picks a free port for its operator listener (unused here).
  ADMIN_PORT: '0',
} as const

/** The built auth-server (`pnpm build` first), located through the bench's dependency on it; never imported. */
const authServerEntry = join(
  dirname(fileURLToPath(import.meta.resolve('@stateless-auth/auth-server/package.json'))),
  'dist/server.js',
)

/** The real auth-server as its own process (`node dist/server.js`), configured through its environment. */
export async function startAuthServerChild(
  ctx: ScenarioContext,
  env: Record<string, string>,
): Promise<Child> {
  if (!existsSync(authServerEntry)) {
    throw new BenchError('BENCH_ERR_PREFLIGHT', `${authServerEntry} is missing: build first (pnpm build)`)
  }
  const port = await freePort()
  const child = await startApp('auth-server', authServerEntry, port, {
    ...AUTH_SERVER_ENV,
    ISSUER: `http://127.0.0.1:${port}`,
    ...env,
  })
  ctx.defer(() => child.close())
  return child
}

export async function startResourceServer(
  ctx: ScenarioContext,
  config: TargetConfig,
  execArgv: string[] = [],
): Promise<Child> {
  const child = await startChild(
    'resource-server',
    { BENCH_TARGET: JSON.stringify(config) },
    {
      execArgv: [...ctx.resourceExecArgv, ...execArgv],
    },
  )
  ctx.defer(() => child.close())
  ctx.log(`resource server ${config.mode} (${config.algorithms.join(',')}) at ${child.url}, pid ${child.pid}`)
  return child
}

/**
 * Checks a row before measuring it: a valid token gets the shared JSON, and (for authenticating rows) a token
 * with a broken signature gets 401. A row that accepted anything would otherwise look very fast.
 */
export async function preflight(label: string, url: string, token: string, authenticates: boolean) {
  const ok = await fetch(`${url}${RESOURCE_PATH}`, { headers: { authorization: `Bearer ${token}` } })
  const body = await ok.text()
  if (ok.status !== 200 || body !== JSON.stringify(RESOURCE_BODY)) {
    throw new BenchError('BENCH_ERR_PREFLIGHT', `${label}: a valid token got ${ok.status} ${body}`)
  }
  if (!authenticates) return
  const forged = `${token.slice(0, -6)}${token.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA'}`
  const refused = await fetch(`${url}${RESOURCE_PATH}`, { headers: { authorization: `Bearer ${forged}` } })
  await refused.arrayBuffer()
  if (refused.status !== 401) {
    throw new BenchError('BENCH_ERR_PREFLIGHT', `${label}: a forged token got ${refused.status}, not 401`)
  }
}

export const basicAuth = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`

/** POSTs a form to the auth-server (setup only, not measured) and returns the JSON answer. */
export async function postForm(url: string, form: Record<string, string>, authorization: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
    body: new URLSearchParams(form),
  })
  const body = (await response.json()) as Record<string, unknown>
  if (response.status !== 200) {
    throw new BenchError('BENCH_ERR_PREFLIGHT', `${url} answered ${response.status} ${JSON.stringify(body)}`)
  }
  return body
}
