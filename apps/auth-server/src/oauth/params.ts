import { InvalidRequest, InvalidScope, InvalidTarget } from '../errors.js'
import type { ClientMetadata } from '../storage/index.js'

/** Longest value accepted for any single parameter: bigger requests are refused, not processed. */
export const MAX_PARAM_LENGTH = 2048

export type Params = Record<string, unknown>

export function asParams(input: unknown): Params {
  return input !== null && typeof input === 'object' ? (input as Params) : {}
}

// RFC 6749 Appendix A: every parameter is built from printable characters. Control characters are refused
// here, before a value can reach a query: PostgreSQL rejects text containing NUL, which would be a 500.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point here
const CONTROL = /[\u0000-\u001f\u007f]/

export function hasControlCharacters(value: string): boolean {
  return CONTROL.test(value)
}

/** RFC 6749 §3.1 / §3.2: parameters must not be repeated; empty values count as absent. */
export function optional(params: Params, name: string): string | undefined {
  const value = params[name]
  if (value === undefined || value === '') return undefined
  if (typeof value !== 'string') throw new InvalidRequest(`${name} must be given exactly once`)
  if (value.length > MAX_PARAM_LENGTH) throw new InvalidRequest(`${name} is too long`)
  if (hasControlCharacters(value)) throw new InvalidRequest(`${name} contains control characters`)
  return value
}

export function required(params: Params, name: string): string {
  const value = optional(params, name)
  if (value === undefined) throw new InvalidRequest(`${name} is required`)
  return value
}

/** RFC 8707 §2: `resource` may repeat; each must be an absolute URI without a fragment. */
export function resourceList(params: Params): string[] {
  const raw = params.resource
  const values = raw === undefined || raw === '' ? [] : Array.isArray(raw) ? raw : [raw]
  return values.map((value) => {
    if (
      typeof value !== 'string' ||
      value.length > MAX_PARAM_LENGTH ||
      !URL.canParse(value) ||
      value.includes('#')
    ) {
      throw new InvalidTarget('resource must be an absolute URI without a fragment')
    }
    return value
  })
}

/**
 * OpenID Connect Core §5.3 with RFC 8707: the userinfo endpoint is a resource like the APIs, with its own
 * audience, so a token meant for an API is refused there. The `openid` scope is what grants it.
 */
export function userinfoResource(issuer: string): string {
  return `${issuer}/userinfo`
}

/** Every resource a grant covers: those its authorization named, plus userinfo when it includes `openid`. */
export function grantedResources(resources: string[], scopes: string[], issuer: string): string[] {
  const userinfo = userinfoResource(issuer)
  return scopes.includes('openid') && !resources.includes(userinfo) ? [...resources, userinfo] : resources
}

/**
 * The resources a grant may use: what was asked for (each allowed for the client, or in `extra`), or the
 * client's default.
 */
export function resolveResources(
  requested: string[],
  client: ClientMetadata,
  extra: string[] = [],
): string[] {
  for (const resource of requested) {
    if (!client.resources.includes(resource) && !extra.includes(resource)) {
      throw new InvalidTarget(`resource ${resource} is unknown or not allowed for this client`)
    }
  }
  return requested.length > 0 ? [...new Set(requested)] : client.resources.slice(0, 1)
}

/** A token's audience: the one resource asked for (RFC 8707 §2.2), which must lie inside what was granted. */
export function resolveAudience(requested: string[], granted: string[]): string {
  if (requested.length > 1) throw new InvalidTarget('a token request names at most one resource')
  const [resource] = requested
  if (resource === undefined) return granted[0]!
  if (!granted.includes(resource)) throw new InvalidTarget(`resource ${resource} was not granted`)
  return resource
}

/** RFC 6749 §3.3: space-delimited, case-sensitive; every scope must be allowed. */
export function resolveScopes(
  requested: string | undefined,
  allowed: string[],
  fallback: string[],
): string[] {
  if (requested === undefined) return fallback
  const scopes = [...new Set(requested.split(' ').filter(Boolean))]
  if (scopes.length === 0) return fallback
  const refused = scopes.filter((scope) => !allowed.includes(scope))
  if (refused.length > 0) throw new InvalidScope(`scope not allowed: ${refused.join(' ')}`)
  return scopes
}
