import type { ClientMetadata } from '../storage/index.js'

const LOOPBACK = new Set(['127.0.0.1', '[::1]'])

/**
 * RFC 9700 §4.1.3: redirect URIs match exactly, by simple string comparison. The one exception is
 * RFC 8252 §7.3: a native app's loopback redirect may use any port, since it binds an ephemeral one, and
 * either loopback literal (§8.3: the app binds whichever of IPv4 and IPv6 is available). Port 0 is no port an app
 * can listen on (it asks the system for one), so it is never a redirect target.
 */
export function isRegisteredRedirectUri(client: ClientMetadata, candidate: string): boolean {
  if (client.redirect_uris.includes(candidate)) return true
  if (!client.allow_loopback_any_port || !URL.canParse(candidate)) return false
  const given = new URL(candidate)
  if (
    given.protocol !== 'http:' ||
    !LOOPBACK.has(given.hostname) ||
    given.username ||
    given.password ||
    given.port === '0'
  )
    return false
  return client.redirect_uris.some((registered) => {
    const r = new URL(registered)
    // Only the port (and which loopback literal) may differ: the rest must match character for character.
    return LOOPBACK.has(r.hostname) && candidate === `http://${given.host}${r.pathname}${r.search}`
  })
}
