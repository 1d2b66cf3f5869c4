/**
 * Configuration from environment variables, validated at boot: each service declares its variables as JSON-schema
 * properties, and one call reads, coerces and checks them all, so a bad deployment stops before anything listens,
 * with one message that names every bad variable.
 *
 * @example
 * ```ts
 * const schema = { PORT: int(0, 65535), ISSUER: httpUrl('the public issuer URL', { trailingSlash: false }) }
 * const input = readEnv(process.env, schema, (problems) => new ConfigError(problems.join('; ')))
 * const port = (input.PORT as number | undefined) ?? 4000
 * ```
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv'

/** JSON-schema property definitions for environment variables, keyed by variable name. */
export type EnvSchema = Record<string, Record<string, unknown>>

/** The error `readEnv` throws when the caller names no error of its own. */
export class EnvError extends Error {
  readonly problems: readonly string[]
  constructor(problems: readonly string[]) {
    super(`invalid configuration: ${problems.join('; ')}`)
    this.name = 'EnvError'
    this.problems = problems
  }
}

// Strings from the environment become the integers and booleans the schema asks for; defaults stay in code.
const ajv = new Ajv({ coerceTypes: true, allErrors: true, useDefaults: false })
const compiled = new WeakMap<EnvSchema, ValidateFunction>()

/**
 * One line per problem. Ajv's message for a failed `pattern` quotes the regular expression, which tells an
 * operator little: where the variable has a `description`, that says what is expected instead.
 */
function describe(error: ErrorObject, schema: EnvSchema): string {
  const name = error.instancePath.replace(/^\//, '')
  const hint = schema[name]?.description
  if (typeof hint !== 'string') return `${name} ${error.message}`
  return error.keyword === 'pattern' ? `${name} must be ${hint}` : `${name} ${error.message} (${hint})`
}

/**
 * Picks the variables `schema` names from `env` (empty strings count as unset), coerces and validates them, and
 * throws one error listing every problem: `fail(problems)` when given (a service's own config error), otherwise
 * an {@link EnvError}. Variables that are unset are absent from the result; defaults are the caller's.
 */
export function readEnv(
  env: NodeJS.ProcessEnv,
  schema: EnvSchema,
  fail: (problems: readonly string[]) => Error = (problems) => new EnvError(problems),
): Record<string, unknown> {
  let validate = compiled.get(schema)
  if (!validate) {
    validate = ajv.compile({ type: 'object', properties: schema })
    compiled.set(schema, validate)
  }
  const input: Record<string, unknown> = {}
  for (const key of Object.keys(schema)) {
    const value = env[key]
    if (value !== undefined && value !== '') input[key] = value
  }
  if (!validate(input)) throw fail((validate.errors ?? []).map((e) => describe(e, schema)))
  return input
}

/** An integer variable within [minimum, maximum]. */
export const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum })

/**
 * An http(s) URL without query or fragment. With `trailingSlash: false` (issuer identifiers, RFC 8414 §2, and base
 * URLs that paths are appended to) it may not end in `/` either.
 */
export function httpUrl(description: string, options: { trailingSlash?: boolean } = {}) {
  return {
    type: 'string',
    pattern: options.trailingSlash === false ? '^https?://[^\\s?#]+[^/?#\\s]$' : '^https?://[^\\s?#]+$',
    description,
  }
}

/** `LOG_LEVEL`: pino's levels. */
export const logLevel = {
  type: 'string',
  enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
}
