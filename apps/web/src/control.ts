import type { WebConfig } from './config.js'

/** What an out-of-band call (admin endpoint or launcher control) answered. */
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
    const text = await res.text()
    let body: unknown = text
    try {
      body = JSON.parse(text)
    } catch {}
    return { ok: res.ok, status: res.status, body }
  } catch (err) {
    return { ok: false, status: undefined, body: undefined, error: (err as Error).message }
  }
}

/**
 * The auth-server's admin endpoints (disable a user, rotate the signing key), authenticated with its
 * `ADMIN_TOKEN`; `undefined` when this app was not given that credential.
 */
export function createAdminClient(config: WebConfig) {
  const token = config.adminToken
  if (!token) return undefined
  const base = `${config.internalIssuer}/admin`
  return {
    disableUser: (username: string) => post(`${base}/users/${encodeURIComponent(username)}/disable`, token),
    enableUser: (username: string) => post(`${base}/users/${encodeURIComponent(username)}/enable`, token),
    rotateKeys: () => post(`${base}/keys/rotate`, token),
  }
}

/**
 * The `pnpm start` launcher's control endpoint (loopback only, shared secret), which really stops and starts
 * the auth-server process. Absent when the app runs some other way (containers): the page then says how to
 * stop it by hand instead of pretending an outage.
 */
export function createLauncherControl(config: WebConfig) {
  const { controlUrl, controlToken } = config
  if (!controlUrl || !controlToken) return undefined
  return {
    stopAuthServer: () => post(`${controlUrl}/services/auth-server/stop`, controlToken),
    startAuthServer: () => post(`${controlUrl}/services/auth-server/start`, controlToken),
  }
}

export type AdminClient = NonNullable<ReturnType<typeof createAdminClient>>
export type LauncherControl = NonNullable<ReturnType<typeof createLauncherControl>>
