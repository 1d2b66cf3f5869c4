import { Ajv, type ErrorObject } from 'ajv'
import { ConfigError } from './errors.js'

/** JSON-schema property definitions for environment variables, keyed by variable name. */
export type EnvSchema = Record<string, Record<string, unknown>>

const ajv = new Ajv({ coerceTypes: true, allErrors: true, useDefaults: false })
const compiled = new WeakMap<EnvSchema, ReturnType<typeof ajv.compile>>()

function describe(error: ErrorObject, schema: EnvSchema): string {
  const name = error.instancePath.replace(/^\//, '')
  const hint = schema[name]?.description
  return `${name} ${error.message}${typeof hint === 'string' ? ` (${hint})` : ''}`
}

/**
 * Picks the variables `schema` names from `env` (empty strings count as unset), coerces and validates them, and
 * throws one `ConfigError` listing every problem, so a bad deployment stops at boot with a clear message.
 */
export function readEnv(env: NodeJS.ProcessEnv, schema: EnvSchema): Record<string, unknown> {
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
  if (!validate(input)) {
    const problems = (validate.errors ?? []).map((e) => describe(e, schema))
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`)
  }
  return input
}

export const int = (minimum: number, maximum: number) => ({ type: 'integer', minimum, maximum })
export const httpUrl = (description: string) => ({
  type: 'string',
  pattern: '^https?://[^\\s?#]+$',
  description,
})
