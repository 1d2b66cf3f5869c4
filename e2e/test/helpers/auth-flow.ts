import { authorize, tokenRequest } from '@stateless-auth/experiments'

const WEB = { id: 'web', secret: 'web-secret', redirectUri: 'http://localhost:3000/auth/callback' }

/**
 * Signs a demo user in at the real auth-server the way the web app does (authorization code + PKCE S256,
 * RFC 7636, as the confidential `web` client), filling in the login form, and returns the access token for
 * `resource` (RFC 8707).
 */
export async function signIn(
  issuer: string,
  options: { username: string; password?: string; scope: string; resource: string },
): Promise<string> {
  const flow = await authorize({
    issuer,
    clientId: WEB.id,
    redirectUri: WEB.redirectUri,
    username: options.username,
    password: options.password ?? 'demo-password',
    scope: options.scope,
    resources: [options.resource],
  })
  const code = flow.callback.searchParams.get('code')
  if (!code) throw new Error(`authorization failed: ${flow.callback}`)
  const answer = await tokenRequest(
    issuer,
    {
      grant_type: 'authorization_code',
      code,
      redirect_uri: WEB.redirectUri,
      code_verifier: flow.verifier,
      resource: options.resource,
    },
    WEB,
  )
  if (typeof answer.body.access_token !== 'string')
    throw new Error(`token endpoint answered ${answer.status}: ${JSON.stringify(answer.body)}`)
  return answer.body.access_token
}
