import { authorize, CookieJar, tokenRequest } from '@stateless-auth/experiments'
import { INVENTORY_AUDIENCE, ORDERS_AUDIENCE } from './stack.js'

// The demo's confidential web client (apps/auth-server/clients.json) with its documented local secret, and the
// redirect URI its codes are sent to (never visited: the code is read from the redirect).
export const WEB_CLIENT = {
  id: 'web',
  secret: 'web-secret',
  redirectUri: 'http://localhost:3000/auth/callback',
}
export const ORDERS_CLIENT = { id: 'orders-api', secret: 'orders-api-secret' }
const DEMO_PASSWORD = 'demo-password'

export const basicAuth = (client: { id: string; secret: string }) =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.id)}:${encodeURIComponent(client.secret)}`).toString('base64')}`

export interface Tokens {
  access_token: string
  refresh_token: string
}

/** A code from a real authorization request (login form filled in once per jar), not yet redeemed. */
export async function signInCode(
  issuer: string,
  jar: CookieJar,
  resource: string,
  user = 'alice',
): Promise<{ code: string; verifier: string }> {
  const flow = await authorize({
    issuer,
    clientId: WEB_CLIENT.id,
    redirectUri: WEB_CLIENT.redirectUri,
    username: user,
    password: DEMO_PASSWORD,
    scope: 'offline_access orders:read orders:write inventory:read',
    resources: [resource],
    jar,
  })
  const code = flow.callback.searchParams.get('code')
  if (!code) throw new Error(`sign-in refused: ${flow.callback}`)
  return { code, verifier: flow.verifier }
}

/** The form that redeems a code at /token. */
export const codeForm = (code: { code: string; verifier: string }) => ({
  grant_type: 'authorization_code',
  code: code.code,
  redirect_uri: WEB_CLIENT.redirectUri,
  code_verifier: code.verifier,
})

/** A full sign-in of the web client: an access token for `resource` and a refresh token. */
export async function signIn(issuer: string, jar: CookieJar, resource: string): Promise<Tokens> {
  const answer = await tokenRequest(issuer, codeForm(await signInCode(issuer, jar, resource)), WEB_CLIENT)
  if (answer.status !== 200)
    throw new Error(`code redemption answered ${answer.status} ${JSON.stringify(answer.body)}`)
  return answer.body as unknown as Tokens
}

/**
 * What the API loads use: an access token for each API, and `families` refresh tokens (each its own sign-in) for
 * the scenarios that rotate or replay them.
 */
export async function apiTokens(issuer: string, families = 0) {
  const jar = new CookieJar()
  const orders = (await signIn(issuer, jar, ORDERS_AUDIENCE)).access_token
  const inventory = (await signIn(issuer, jar, INVENTORY_AUDIENCE)).access_token
  const refreshTokens: string[] = []
  for (let i = 0; i < families; i++)
    refreshTokens.push((await signIn(issuer, jar, ORDERS_AUDIENCE)).refresh_token)
  return { orders, inventory, refreshTokens }
}

export async function refresh(issuer: string, refreshToken: string) {
  return tokenRequest(issuer, { grant_type: 'refresh_token', refresh_token: refreshToken }, WEB_CLIENT)
}

export { CookieJar }
