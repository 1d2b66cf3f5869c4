/**
 * The one error base of every service, built on `@fastify/error`: each error has a stable `code` (`AUTH_ERR_…`,
 * `ORDERS_ERR_…`), its HTTP `statusCode`, and the `error` string sent on the wire as `{ error, error_description }`
 * (RFC 6749 §5.2, reused for every API error so clients parse one format).
 */
import { format } from 'node:util'
import createError from '@fastify/error'

/** What an error adds to its response. */
export interface ServiceErrorOptions {
  /** Extra response headers (e.g. `Retry-After`, `WWW-Authenticate`). */
  headers?: Record<string, string>
  /** Extra fields merged into the response body (e.g. `available` stock). */
  details?: Record<string, unknown>
  cause?: unknown
}

// Typed as the generic constructor: the code and status are each instance's own.
const baseCode: string = 'SERVICE_ERR'
const baseStatus: number = 500
const FastifyServiceError = createError<[string, { cause: unknown }?]>(baseCode, '%s', baseStatus)

export class ServiceError extends FastifyServiceError {
  declare statusCode: number
  /** The machine-readable `error` field of the response body. */
  readonly error: string
  readonly headers: Readonly<Record<string, string>>
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    statusCode: number,
    error: string,
    description: string,
    options: ServiceErrorOptions = {},
  ) {
    super(description, ...(options.cause === undefined ? [] : [{ cause: options.cause }]))
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
    this.error = error
    this.headers = options.headers ?? {}
    this.details = options.details ?? {}
  }

  /** The response body: `{ error, error_description, ...details }`. */
  toJSON(): { error: string; error_description: string; [field: string]: unknown } {
    return { error: this.error, error_description: this.message, ...this.details }
  }

  // @fastify/error answers `instanceof` by error code; ours are classes, so the prototype chain decides.
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass `instanceof` was asked about.
    return Function.prototype[Symbol.hasInstance].call(this, value)
  }
}

/** A constructor made by {@link defineError}: its arguments fill the message's `%s` placeholders. */
export interface DefinedError<Args extends unknown[]> {
  new (...args: Args): ServiceError
  readonly code: string
  readonly statusCode: number
}

/**
 * An error class with a fixed code, status and message template (`util.format` placeholders), like
 * `createError` of `@fastify/error`; its wire `error` is `error`, or the code when none is given.
 *
 * @example
 * ```ts
 * export const LoginFailed = defineError('WEB_ERR_LOGIN_FAILED', 400, 'sign-in failed: %s')
 * throw new LoginFailed('the state does not match')
 * ```
 */
export function defineError<Args extends unknown[] = [string?]>(
  code: string,
  statusCode: number,
  message: string,
  error: string = code,
): DefinedError<Args> {
  return class extends ServiceError {
    static readonly code = code
    static readonly statusCode = statusCode
    constructor(...args: Args) {
      super(code, statusCode, error, format(message, ...args))
    }
  }
}

/**
 * A dependency the service cannot do without (its database) is down for now: 503 `temporarily_unavailable` with
 * `Retry-After` (RFC 9110 §15.6.4, §10.2.3), so callers retry later instead of taking a 500 for a broken server.
 */
export class DependencyUnavailableError extends ServiceError {
  constructor(dependency: string, retryAfterSeconds: number, cause?: unknown) {
    super(
      'SERVICE_ERR_DEPENDENCY_UNAVAILABLE',
      503,
      'temporarily_unavailable',
      `The ${dependency} is unavailable; retry shortly`,
      { headers: { 'retry-after': String(retryAfterSeconds) }, cause },
    )
  }
}
