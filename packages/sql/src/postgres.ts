import pg from 'pg'
import { runMigrations } from './migrate.js'
import type { Database, Migration, Queryable, SqlValue } from './types.js'

// BIGINT (int8) and COUNT(*) come back as strings by default; every integer we store (epoch seconds, counters)
// fits in a double, and both backends must return the same JS types.
const INT8_OID = 20
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID && format !== 'binary') return (value: string) => Number(value)
    return pg.types.getTypeParser(oid, format)
  },
} as pg.CustomTypesConfig

type Client = pg.Pool | pg.PoolClient

function queryable(client: Client): Queryable {
  const query = async <Row>(sql: string, params: readonly SqlValue[] = []): Promise<Row[]> =>
    (await client.query(sql, params as unknown[])).rows as Row[]
  return {
    query,
    one: async <Row>(sql: string, params?: readonly SqlValue[]) => (await query<Row>(sql, params))[0],
    execute: async (sql, params = []) => ({
      rowCount: (await client.query(sql, params as unknown[])).rowCount ?? 0,
    }),
    exec: async (sql) => {
      await client.query(sql)
    },
  }
}

/** PostgreSQL through a `pg` pool: what several replicas of a service share. */
export class PostgresDatabase implements Database {
  readonly dialect = 'postgres'
  readonly #pool: pg.Pool
  readonly #queryable: Queryable

  constructor(connectionString: string, options: { max?: number } = {}) {
    this.#pool = new pg.Pool({ connectionString, types, max: options.max ?? 10 })
    // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
    this.#pool.on('error', () => {})
    this.#queryable = queryable(this.#pool)
  }

  query<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    return this.#queryable.query<Row>(sql, params)
  }

  one<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return this.#queryable.one<Row>(sql, params)
  }

  execute(sql: string, params?: readonly SqlValue[]): Promise<{ rowCount: number }> {
    return this.#queryable.execute(sql, params)
  }

  exec(sql: string): Promise<void> {
    return this.#queryable.exec(sql)
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect()
    // The pool listens for a lost connection only on idle clients: one lost while checked out here would emit
    // 'error' with nobody listening, and crash the process (issue 15, scenario 2). The query fails anyway.
    let lost: Error | undefined
    const onError = (error: Error) => {
      lost = error
    }
    client.on('error', onError)
    try {
      await client.query('BEGIN')
      const result = await fn(queryable(client))
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.off('error', onError)
      // With an error the pool discards the client instead of handing out a dead connection.
      client.release(lost)
    }
  }

  migrate(migrations: readonly Migration[]): Promise<string[]> {
    return runMigrations(this, migrations)
  }

  close(): Promise<void> {
    return this.#pool.end()
  }
}
