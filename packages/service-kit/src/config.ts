/**
 * Configuration from environment variables, validated at boot by one TypeBox schema (with env-schema): defaults
 * live in the schema, the result is typed from it, and every problem is reported at once in one error, so a bad
 * deployment stops before anything listens with a message naming each bad variable.
 *
 * @example
 * ```ts
 * const schema = Type.Object({ PORT: port(4000), ISSUER: httpUrl('the issuer URL', { default: 'http://localhost:4000' }) })
 * const env = readConfig(schema, process.env) // { PORT: number; ISSUER: string }
 * ```
 */
import { fileURLToPath } from 'node:url'
import type { ErrorObject } from 'ajv'
import { envSchema } from 'env-schema'
import { type Static, type TObject, type TProperties, type TSchema, Type } from 'typebox'
import { ServiceError } from './errors.js'

/**
 * A configuration that cannot start the service (thrown before anything listens); `problems` holds one line
 * per bad variable or file.
 */
export class ConfigError extends ServiceError {
  readonly problems: readonly string[]
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems
    super('SERVICE_ERR_CONFIG', 500, 'server_error', `invalid configuration: ${list.join('; ')}`)
    this.problems = list
  }
}

/** Rules that hold only with `NODE_ENV=production`. */
export interface ProductionRules<Name extends string> {
  /** Variables that must be set explicitly (their schema default, if any, is for local use only). */
  required?: readonly Name[]
  /**
   * Variables whose schema `default` is a documented local value: refused when set to it, and not applied
   * when unset (the variable stays `undefined` unless it is also `required`).
   */
  localDefaults?: readonly Name[]
}

/**
 * One line per problem. Ajv's message for a failed `pattern` quotes the regular expression, which tells an
 * operator little: where the variable has a `description`, that says what is expected instead.
 */
function describe(error: ErrorObject, schema: TObject): string {
  if (error.keyword === 'required') return `${String(error.params.missingProperty)} must be set`
  const name = error.instancePath.replace(/^\//, '')
  const hint = (schema.properties[name] as { description?: unknown } | undefined)?.description
  if (typeof hint !== 'string') return `${name} ${error.message}`
  return error.keyword === 'pattern' ? `${name} must be ${hint}` : `${name} ${error.message} (${hint})`
}

function defaultOf(schema: TObject, name: string): unknown {
  return (schema.properties[name] as { default?: unknown } | undefined)?.default
}

/**
 * Reads the variables `schema` names from `env` (an empty string counts as unset), coerces them (`"4000"` →
 * 4000, `"false"` → false), fills in the schema's defaults and validates them. Every problem, including the
 * production rules, is collected into one {@link ConfigError}.
 */
export function readConfig<S extends TObject>(
  schema: S,
  env: NodeJS.ProcessEnv,
  production: ProductionRules<keyof Static<S> & string> = {},
): Static<S> {
  const input: Record<string, string> = {}
  for (const name of Object.keys(schema.properties)) {
    const value = env[name]
    if (value !== undefined && value !== '') input[name] = value
  }
  const problems: string[] = []
  let config: Static<S> | undefined
  try {
    config = envSchema<Static<S>>({ schema, data: input, env: false })
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors
    if (!errors) throw error
    problems.push(...errors.map((e) => describe(e, schema)))
  }
  if (env.NODE_ENV === 'production') {
    const missing = (production.required ?? []).filter((name) => input[name] === undefined)
    if (missing.length > 0) problems.push(`NODE_ENV=production requires ${missing.join(', ')} to be set`)
    const local = (production.localDefaults ?? []).filter(
      (name) => input[name] !== undefined && input[name] === String(defaultOf(schema, name)),
    )
    if (local.length > 0) {
      problems.push(`NODE_ENV=production refuses the documented local defaults for ${local.join(', ')}`)
    }
  }
  if (problems.length > 0 || config === undefined) throw new ConfigError(problems)
  if (env.NODE_ENV === 'production') {
    const result: Record<string, unknown> = config
    for (const name of production.localDefaults ?? []) if (input[name] === undefined) delete result[name]
  }
  return config
}

/** Whether `NODE_ENV` says production: the switch for {@link ProductionRules}. */
export const isProduction = (env: NodeJS.ProcessEnv): boolean => env.NODE_ENV === 'production'

/** An integer within [minimum, maximum]. */
export const int = (minimum: number, maximum: number, defaultValue?: number) =>
  Type.Integer({ minimum, maximum, ...(defaultValue === undefined ? {} : { default: defaultValue }) })

/** `PORT`: a TCP port (0 lets the system pick one). */
export const port = (defaultValue: number) => int(0, 65535, defaultValue)

/** `HOST`: the interface to listen on; loopback unless a deployment says otherwise. */
export const host = () => Type.String({ minLength: 1, default: '127.0.0.1' })

/**
 * An http(s) URL without query or fragment. With `trailingSlash: false` (issuer identifiers, RFC 8414 §2, and base
 * URLs that paths are appended to) it may not end in `/` either.
 */
export function httpUrl(description: string, options: { trailingSlash?: boolean; default?: string } = {}) {
  return Type.String({
    pattern: options.trailingSlash === false ? '^https?://[^\\s?#]+[^/?#\\s]$' : '^https?://[^\\s?#]+$',
    description,
    ...(options.default === undefined ? {} : { default: options.default }),
  })
}

/** A base URL (an issuer, an API that paths are appended to): http(s), no query, fragment or trailing slash. */
export const baseUrl = (defaultValue?: string) =>
  httpUrl('an http(s) URL without query, fragment or trailing slash', {
    trailingSlash: false,
    ...(defaultValue === undefined ? {} : { default: defaultValue }),
  })

/** `LOG_LEVEL`: pino's levels, `info` by default. */
export const logLevel = () =>
  Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' })

/**
 * `MAX_EVENT_LOOP_DELAY_MS` and `MAX_HEAP_USED_BYTES`: the limits above which every request answers 503
 * (`@fastify/under-pressure`, see `health.ts`). Off (0) unless a deployment sets them: a good limit depends on
 * the machine, and a loaded 2-core test box trips any fixed one.
 */
export const pressureEnv = () => ({
  MAX_EVENT_LOOP_DELAY_MS: int(0, 60_000, 0),
  MAX_HEAP_USED_BYTES: int(0, Number.MAX_SAFE_INTEGER, 0),
})

/** The pressure limits read by {@link pressureEnv}, as `HealthOptions` takes them. */
export interface PressureLimits {
  maxEventLoopDelay: number
  maxHeapUsedBytes: number
}

export const pressureLimits = (env: { MAX_EVENT_LOOP_DELAY_MS: number; MAX_HEAP_USED_BYTES: number }) => ({
  maxEventLoopDelay: env.MAX_EVENT_LOOP_DELAY_MS,
  maxHeapUsedBytes: env.MAX_HEAP_USED_BYTES,
})

/** `NODE_ENV`: any string; only `production` changes behaviour. */
export const nodeEnv = () => Type.Optional(Type.String())

export { type Static, type TSchema, Type }

/**
 * The variables every service reads the same way: `NODE_ENV`, `PORT`, `HOST`, `LOG_LEVEL` and the pressure limits
 * ({@link pressureEnv}), as TypeBox properties; a service spreads them into its own schema.
 */
export const serviceEnv = (defaultPort: number) => ({
  NODE_ENV: nodeEnv(),
  PORT: port(defaultPort),
  HOST: host(),
  LOG_LEVEL: logLevel(),
  ...pressureEnv(),
})

/** A service's environment schema: {@link serviceEnv}'s variables and the service's own `properties`. */
export const serviceSchema = <Properties extends TProperties>(defaultPort: number, properties: Properties) =>
  Type.Object({ ...serviceEnv(defaultPort), ...properties })

/** What {@link serviceConfig} makes of {@link serviceEnv}'s variables; every service's config extends it. */
export interface ServiceConfig {
  production: boolean
  port: number
  host: string
  logLevel: string
  /** Above these every request answers 503 (0: off). */
  pressure: PressureLimits
}

const serviceShape = Type.Object(serviceEnv(0))

/** Maps {@link serviceEnv}'s variables onto the fields of {@link ServiceConfig}. */
export const serviceConfig = (env: Static<typeof serviceShape>): ServiceConfig => ({
  production: env.NODE_ENV === 'production',
  port: env.PORT,
  host: env.HOST,
  logLevel: env.LOG_LEVEL,
  pressure: pressureLimits(env),
})

/**
 * {@link readConfig} for a schema made with {@link serviceSchema}: the variables read (`input`) and the
 * {@link ServiceConfig} fields they give (`service`), for the app to add its own fields to.
 */
export function readServiceConfig<S extends TObject<ReturnType<typeof serviceEnv>>>(
  schema: S,
  env: NodeJS.ProcessEnv,
  production: ProductionRules<keyof Static<S> & string> = {},
): { input: Static<S>; service: ServiceConfig } {
  const input = readConfig(schema, env, production)
  return { input, service: serviceConfig(input) }
}

/**
 * A path inside an app's own directory, for file defaults such as `data/<app>.sqlite`: `moduleUrl` is the
 * `import.meta.url` of a module directly in the app's `src/` (or, built, `dist/`).
 */
export const appPath = (moduleUrl: string, path: string): string =>
  fileURLToPath(new URL(`../${path}`, moduleUrl))
