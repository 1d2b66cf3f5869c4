import { ConfigError } from './errors.js'

/** The settings, in seconds, that key rotation depends on (named as in AuthServerConfig). */
interface Timings {
  keyRotationInterval: number
  jwksMaxAge: number
  accessTokenTtl: number
  clockSkew: number
}

/**
 * Settings that are each valid but cannot work together, as readable sentences (empty when all is well).
 *
 * Rotation (issue 12, item 2): a new key is pending for JWKS_MAX_AGE, then signs; the key it replaces stays
 * published for ACCESS_TOKEN_TTL + CLOCK_SKEW after that. An interval at least that long means a rotation only
 * comes due once the previous one has settled, so the JWKS holds a bounded handful of keys. A shorter one
 * (config accepted 1 s) piled up keys until verifiers that keep a bounded number dropped the one that signs.
 */
export function timingProblems(config: Timings): string[] {
  const problems: string[] = []
  const { keyRotationInterval, jwksMaxAge, accessTokenTtl, clockSkew } = config
  const minimum = jwksMaxAge + accessTokenTtl + clockSkew
  if (keyRotationInterval > 0 && keyRotationInterval < minimum) {
    problems.push(
      `KEY_ROTATION_INTERVAL (${keyRotationInterval} s) must be 0 (off) or at least ` +
        `JWKS_MAX_AGE + ACCESS_TOKEN_TTL + CLOCK_SKEW = ${jwksMaxAge} + ${accessTokenTtl} + ${clockSkew} = ${minimum} s`,
    )
  }
  return problems
}

/** Throws a ConfigError naming every timing problem; returns the config unchanged otherwise. */
export function assertTimings<T extends Timings>(config: T): T {
  const problems = timingProblems(config)
  if (problems.length > 0) throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  return config
}
