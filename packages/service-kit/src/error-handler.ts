/**
 * One error handler for every service: whatever goes wrong becomes a {@link ServiceError} (the service's own, a
 * library error mapped by the service, or a framework error mapped here), is logged once (a 5xx with its stack,
 * a 4xx as one info line) and is sent in the service's format. Bad input is always a 4xx, never a 500.
 */
import type {
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifyServerOptions,
} from 'fastify'
import { DependencyUnavailableError, ServiceError } from './errors.js'

/** Fastify's own request errors that deserve a specific status; any other 4xx it raises keeps its own. */
const FRAMEWORK_STATUS: Record<string, number> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 413,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 415,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 400,
  FST_ERR_CTP_EMPTY_JSON_BODY: 400,
  FST_ERR_CTP_INVALID_JSON_BODY: 400,
}

/** How to tell that a dependency is down for now (e.g. `databaseOutage` of `@stateless-auth/sql`). */
export interface Outage {
  /** What is down, in the error description: "The database is unavailable; retry shortly". */
  dependency: string
  /** Seconds of the `Retry-After` header. */
  retryAfter: number
  /** Whether `error` means that dependency cannot be reached right now (rather than a request it refused). */
  test(error: unknown): boolean
}

export interface ErrorFormat {
  /**
   * Maps an error that is not a `ServiceError` (a library's, a framework code the service words its own way)
   * onto one; `undefined` leaves it to the defaults: validation and framework 4xx → `invalid_request`, else 500.
   */
  map?: (error: FastifyError, request: FastifyRequest) => ServiceError | undefined
  /**
   * Dependencies whose outage answers 503 `temporarily_unavailable` with `Retry-After`, never a 500, when `map`
   * left the error alone: the request may be retried once the dependency is back.
   */
  outages?: readonly Outage[]
  /** Sends the error; default: its headers and `toJSON()` body. */
  send?: (error: ServiceError, request: FastifyRequest, reply: FastifyReply) => FastifyReply
  /** The `error_description` of a 500 (nothing of our internals reaches the wire). */
  serverErrorDescription?: string
  /** The body of a 404 for a route that does not exist. */
  notFound?: (request: FastifyRequest) => ServiceError
}

const defaultSend = (error: ServiceError, _request: FastifyRequest, reply: FastifyReply) =>
  reply.code(error.statusCode).headers(error.headers).send(error.toJSON())

/** What every unknown route gets unless the service says otherwise. */
export const routeNotFound = (request: FastifyRequest) =>
  new ServiceError(
    'SERVICE_ERR_NOT_FOUND',
    404,
    'not_found',
    `No route ${request.method} ${request.url.split('?')[0]}`,
  )

/** The `ServiceError` that `error` stands for under `format`. */
export function toServiceError(
  error: FastifyError,
  request: FastifyRequest,
  format: ErrorFormat = {},
): ServiceError {
  if (error instanceof ServiceError) return error
  const mapped = format.map?.(error, request)
  if (mapped) return mapped
  const outage = format.outages?.find((candidate) => candidate.test(error))
  if (outage) return new DependencyUnavailableError(outage.dependency, outage.retryAfter, error)
  if (error.validation) {
    // Ajv's message names the field (`body/quantity must be >= 1`), which is what the caller needs to fix it.
    return new ServiceError('SERVICE_ERR_VALIDATION', 400, 'invalid_request', error.message, { cause: error })
  }
  const status = FRAMEWORK_STATUS[error.code] ?? error.statusCode
  if (status !== undefined && status >= 400 && status < 500) {
    return new ServiceError(
      error.code ?? 'SERVICE_ERR_BAD_REQUEST',
      status,
      'invalid_request',
      error.message,
      {
        cause: error,
      },
    )
  }
  const description = format.serverErrorDescription ?? 'An unexpected error occurred'
  return new ServiceError('SERVICE_ERR_INTERNAL', 500, 'server_error', description, { cause: error })
}

/**
 * Installs the error handler and the not-found handler. Call it before registering encapsulated plugins (each
 * keeps the handler it saw when it loaded).
 *
 * @example
 * ```ts
 * installErrorHandler(app, { map: (err) => (err instanceof LibraryError ? new BadGateway(err.message) : undefined) })
 * ```
 */
export function installErrorHandler(app: FastifyInstance, format: ErrorFormat = {}): void {
  const send = format.send ?? defaultSend
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const failure = toServiceError(error, request, format)
    if (failure.statusCode >= 500) request.log.error({ err: error }, 'request failed')
    else request.log.info({ code: failure.code, reason: failure.message }, 'request refused')
    return send(failure, request, reply)
  })
  const notFound = format.notFound ?? routeNotFound
  app.setNotFoundHandler((request, reply) => send(notFound(request), request, reply))
}

/**
 * Fastify's `frameworkErrors` option: what the router refuses before any route or hook runs (a URL that does not
 * decode, an over-long path parameter), answered in the same format as every other error.
 */
export function frameworkErrors(
  format: ErrorFormat = {},
): NonNullable<FastifyServerOptions['frameworkErrors']> {
  const send = format.send ?? defaultSend
  return (error, request, reply) => {
    let failure = toServiceError(error, request, format)
    // Everything the router refuses is the request's fault.
    if (failure.statusCode >= 500) {
      failure = new ServiceError(
        error.code ?? 'SERVICE_ERR_BAD_REQUEST',
        400,
        'invalid_request',
        error.message,
      )
    }
    request.log.info({ code: error.code, reason: error.message }, 'request refused by the router')
    // The option's reply type is generic over a route that does not exist yet; this one is plain.
    void send(failure, request, reply as FastifyReply)
  }
}
