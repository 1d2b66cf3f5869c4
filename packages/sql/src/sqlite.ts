import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import BetterSqlite3 from 'better-sqlite3'
import { runMigrations } from './migrate.js'
import { toPositional, toSqliteValue } from './placeholders.js'
import type { Database, Migration, Queryable, SqlValue } from './types.js'

type Statement = BetterSqlite3.Statement<unknown[], unknown>

/**
 * SQLite through better-sqlite3. Statements run synchronously on one connection, so a transaction that awaits
 * between statements holds a gate: every other caller waits until it commits, and nothing interleaves into it.
 */
export class SqliteDatabase implements Database {
  readonly dialect = 'sqlite'
  readonly #db: BetterSqlite3.Database
  readonly #statements = new Map<string, Statement>()
  #gate: Promise<void> = Promise.resolve()
  #inTransaction = false

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
    this.#db = new BetterSqlite3(path)
    this.#db.pragma('journal_mode = WAL')
    this.#db.pragma('busy_timeout = 5000')
    this.#db.pragma('foreign_keys = ON')
    this.#db.pragma('synchronous = NORMAL')
  }

  #prepare(sql: string, params: readonly SqlValue[]): { statement: Statement; values: unknown[] } {
    const { sql: positional, order } = toPositional(sql)
    let statement = this.#statements.get(positional)
    if (!statement) {
      statement = this.#db.prepare(positional)
      if (this.#statements.size >= 256) this.#statements.delete(this.#statements.keys().next().value!)
      this.#statements.set(positional, statement)
    }
    return { statement, values: order.map((index) => toSqliteValue(params[index])) }
  }

  #run = {
    query: <Row>(sql: string, params: readonly SqlValue[] = []): Row[] => {
      const { statement, values } = this.#prepare(sql, params)
      if (statement.reader) return statement.all(...values) as Row[]
      statement.run(...values)
      return []
    },
    execute: (sql: string, params: readonly SqlValue[] = []): { rowCount: number } => {
      const { statement, values } = this.#prepare(sql, params)
      if (statement.reader) return { rowCount: statement.all(...values).length }
      return { rowCount: statement.run(...values).changes }
    },
  }

  async #idle(): Promise<void> {
    while (this.#inTransaction) await this.#gate
  }

  async query<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row[]> {
    await this.#idle()
    return this.#run.query<Row>(sql, params)
  }

  async one<Row>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined> {
    return (await this.query<Row>(sql, params))[0]
  }

  async execute(sql: string, params?: readonly SqlValue[]): Promise<{ rowCount: number }> {
    await this.#idle()
    return this.#run.execute(sql, params)
  }

  async exec(sql: string): Promise<void> {
    await this.#idle()
    this.#db.exec(sql)
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const previous = this.#gate
    let release!: () => void
    this.#gate = new Promise((resolve) => {
      release = resolve
    })
    await previous
    await this.#idle()
    this.#inTransaction = true
    const tx: Queryable = {
      query: async <Row>(sql: string, params?: readonly SqlValue[]) => this.#run.query<Row>(sql, params),
      one: async <Row>(sql: string, params?: readonly SqlValue[]) => this.#run.query<Row>(sql, params)[0],
      execute: async (sql, params) => this.#run.execute(sql, params),
      exec: async (sql) => {
        this.#db.exec(sql)
      },
    }
    try {
      this.#db.exec('BEGIN IMMEDIATE')
      const result = await fn(tx)
      this.#db.exec('COMMIT')
      return result
    } catch (error) {
      if (this.#db.inTransaction) this.#db.exec('ROLLBACK')
      throw error
    } finally {
      this.#inTransaction = false
      release()
    }
  }

  migrate(migrations: readonly Migration[]): Promise<string[]> {
    return runMigrations(this, migrations)
  }

  async close(): Promise<void> {
    await this.#idle()
    if (this.#db.open) this.#db.close()
  }
}
