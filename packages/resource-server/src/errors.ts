/**
 * Errors a resource server answers with. Each has a stable `code` (`RS_ERR_…` here, `ORDERS_ERR_…` /
 * `INVENTORY_ERR_…` in the apps that extend it), its HTTP status, and the `error` string sent on the wire as
 * `{ error, error_description }` (the RFC 6749 §5.2 shape, reused for every API error so clients parse one format).
 */
export class ResourceServerError extends Error {
  readonly code: string
  readonly statusCode: number
  /** The machine-readable `error` field of the response body. */
  readonly error: string
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Readonly<Record<string, string>>
  /** Extra fields merged into the response body (e.g. `available` stock). */
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    statusCode: number,
    error: string,
    description: string,
    extra: { headers?: Record<string, string>; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(description, extra.cause === undefined ? undefined : { cause: extra.cause })
    this.name = new.target.name
    this.code = code
    this.statusCode = statusCode
    this.error = error
    this.headers = extra.headers ?? {}
    this.details = extra.details ?? {}
  }

  toJSON(): Record<string, unknown> {
    return { error: this.error, error_description: this.message, ...this.details }
  }
}

/** A configuration that cannot start the server; thrown at boot, before anything listens. */
export class ConfigError extends ResourceServerError {
  constructor(message: string) {
    super('RS_ERR_CONFIG', 500, 'server_error', message)
  }
}

/** A well-formed request for something that does not exist. */
export class NotFoundError extends ResourceServerError {
  constructor(description: string, code = 'RS_ERR_NOT_FOUND') {
    super(code, 404, 'not_found', description)
  }
}

/** A request the schema could not catch (or that fastify refused before routing): always a 4xx. */
export class InvalidRequestError extends ResourceServerError {
  constructor(description: string, statusCode = 400, code = 'RS_ERR_INVALID_REQUEST') {
    super(code, statusCode, 'invalid_request', description)
  }
}
