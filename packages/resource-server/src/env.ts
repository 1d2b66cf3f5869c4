import { type EnvSchema, readEnv as readServiceEnv } from '@stateless-auth/service-kit/env'
import { ConfigError } from './errors.js'

export { type EnvSchema, httpUrl, int, logLevel } from '@stateless-auth/service-kit/env'

/**
 * `readEnv` of `@stateless-auth/service-kit` throwing this package's `ConfigError` (which `configOrExit` prints
 * without a stack): picks the variables `schema` names from `env` (empty strings count as unset), coerces and
 * validates them, and throws one error listing every problem.
 */
export function readEnv(env: NodeJS.ProcessEnv, schema: EnvSchema): Record<string, unknown> {
  return readServiceEnv(
    env,
    schema,
    (problems) => new ConfigError(`invalid configuration: ${problems.join('; ')}`),
  )
}
