/**
 * The parsed form of a status list URI, or `undefined` unless it is an absolute `https:`/`http:` URL without
 * credentials or fragment. The draft only asks for an RFC 3986 URI (§6.2); a list is fetched with an HTTP GET
 * (§8.1), so anything else cannot be resolved, userinfo would be sent along, and a fragment never reaches the
 * server while it would still take part in the exact `sub` comparison.
 */
export function parseStatusListUri(value: unknown): URL | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 2048 || hasSpaceOrControl(value)) {
    return undefined
  }
  const url = parseHttpUrl(value)
  if (url === undefined) return undefined
  if (url.username !== '' || url.password !== '' || value.includes('#')) return undefined
  return url
}

// new URL() trims and drops such characters, so the URL fetched would differ from the string compared with `sub`.
function hasSpaceOrControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c <= 0x20 || c === 0x7f) return true
  }
  return false
}

/**
 * `value` parsed by WHATWG URL when it is an absolute `https:` or `http:` URL, else `undefined`. The one place
 * that says which URLs can be fetched with an HTTP GET; the verifier reads a DPoP proof's `htu` with it too.
 *
 * @example
 * ```ts
 * parseHttpUrl('https://as.example/statuslists/1')?.host // 'as.example'
 * parseHttpUrl('ftp://as.example/1') // undefined
 * ```
 */
export function parseHttpUrl(value: string): URL | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url : undefined
}
