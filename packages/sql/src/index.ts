import { PostgresDatabase } from './postgres.js'
import { SqliteDatabase } from './sqlite.js'
import type { Database } from './types.js'

export type { Database, Dialect, Migration, Queryable, SqlValue } from './types.js'

/** Whether `url` names a PostgreSQL database rather than a SQLite file. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url)
}

/**
 * Opens a database: `postgres://…` / `postgresql://…` for PostgreSQL, anything else is a SQLite file path
 * (`sqlite:` prefix optional, `:memory:` allowed; parent directories are created).
 */
export async function openDatabase(url: string, options: { poolSize?: number } = {}): Promise<Database> {
  if (isPostgresUrl(url)) {
    const db = new PostgresDatabase(url, { max: options.poolSize ?? 10 })
    try {
      await db.query('SELECT 1')
    } catch (error) {
      await db.close()
      throw new Error(`cannot connect to PostgreSQL at ${redactUrl(url)}: ${(error as Error).message}`, {
        cause: error,
      })
    }
    return db
  }
  return new SqliteDatabase(url.replace(/^sqlite:(\/\/)?/i, ''))
}

/** A database URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@')
}

/** True for a unique or primary-key violation on either backend, so callers can answer "already exists". */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
}

// PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown, restart, not
// accepting connections yet), and the errors `pg` and Node raise when the server is not there at all.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  '57P01',
  '57P02',
  '57P03',
])

/**
 * True when the database cannot be reached right now (stopped, restarting, connection lost), as opposed to a
 * query it refused: a service answers 503 with Retry-After instead of 500, and the request may be retried.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown }
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) return true
  // `pg` words a connection that dies mid-query this way, without a code.
  return (
    typeof message === 'string' &&
    /^Connection terminated|Client has encountered a connection error/.test(message)
  )
}

/**
 * {@link isDatabaseUnavailable} as the chassis' error handler takes it (`outages` of
 * `@stateless-auth/service-kit/error-handler`): a 503 `temporarily_unavailable`, to retry in 2 s.
 */
export const databaseOutage = {
  dependency: 'database',
  retryAfter: 2,
  test: isDatabaseUnavailable,
} as const
