import { readBody } from '@stateless-auth/experiments'
import type { WebConfig } from './config.js'

/** What an out-of-band call (admin endpoint or demo control) answered. */
export interface ControlAnswer {
  ok: boolean
  status: number | undefined
  body: unknown
  error?: string
}

async function post(url: string, token: string): Promise<ControlAnswer> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(10_000),
    })
    return { ok: res.ok, status: res.status, body: await readBody(res) }
  } catch (err) {
    return { ok: false, status: undefined, body: undefined, error: (err as Error).message }
  }
}

/**
 * The auth-server's admin endpoints (disable a user, rotate the signing key) on its operator listener
 * (`ADMIN_URL`), authenticated with its `ADMIN_TOKEN`; `undefined` when this app was not given that credential.
 */
export function createAdminClient(config: WebConfig) {
  const token = config.adminToken
  if (!token) return undefined
  const base = `${config.adminUrl}/admin`
  return {
    disableUser: (username: string) => post(`${base}/users/${encodeURIComponent(username)}/disable`, token),
    enableUser: (username: string) => post(`${base}/users/${encodeURIComponent(username)}/enable`, token),
    rotateKeys: () => post(`${base}/keys/rotate`, token),
  }
}

/**
 * The demo control contract: this app's "stop the auth-server" and "start it again" experiments call it when
 * `DEMO_CONTROL_URL` and `DEMO_CONTROL_TOKEN` are set. Whoever runs the services may implement it (the
 * `pnpm start` launcher does, on 127.0.0.1 only):
 *
 * - `POST ${DEMO_CONTROL_URL}/auth-server/stop` stops the auth-server process and answers once it has exited;
 * - `POST ${DEMO_CONTROL_URL}/auth-server/start` starts it again and answers once it is ready;
 * - each request carries `Authorization: Bearer ${DEMO_CONTROL_TOKEN}`; the answer is 200 with
 *   `{ "service": "auth-server", "state": "running" | "stopped" }`, or a 4xx/5xx `{ error, error_description }`.
 *
 * Unset (containers), the page says how to stop the auth-server by hand instead of pretending an outage.
 */
export function createDemoControl(config: WebConfig) {
  const { controlUrl, controlToken } = config
  if (!controlUrl || !controlToken) return undefined
  return {
    stopAuthServer: () => post(`${controlUrl}/auth-server/stop`, controlToken),
    startAuthServer: () => post(`${controlUrl}/auth-server/start`, controlToken),
  }
}

export type AdminClient = NonNullable<ReturnType<typeof createAdminClient>>
export type DemoControl = NonNullable<ReturnType<typeof createDemoControl>>
