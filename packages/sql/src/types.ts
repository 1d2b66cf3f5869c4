/** A value that can be bound to a statement parameter on both backends. */
export type SqlValue = string | number | bigint | boolean | null | undefined | Uint8Array

/** What a transaction and a database both offer. Placeholders are PostgreSQL-style `$1, $2 …` on both backends. */
export interface Queryable {
  /** All rows (an empty array for statements that return none). */
  query<Row = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<Row[]>
  /** The first row, or `undefined`. */
  one<Row = Record<string, unknown>>(sql: string, params?: readonly SqlValue[]): Promise<Row | undefined>
  /** Runs a write; `rowCount` is how many rows it touched, so a conditional UPDATE that won has `rowCount === 1`. */
  execute(sql: string, params?: readonly SqlValue[]): Promise<{ rowCount: number }>
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
}

export type Dialect = 'sqlite' | 'postgres'

export interface Migration {
  /** Stable, ordered identifier such as `001-users`; recorded once applied. */
  id: string
  /** One script for both backends, or one per dialect where their SQL differs. */
  up: string | Record<Dialect, string>
}

export interface Database extends Queryable {
  readonly dialect: Dialect
  /** Runs `fn` in one transaction (SQLite `BEGIN IMMEDIATE`, PostgreSQL a dedicated connection); rolls back on throw. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>
  /** Applies the migrations not applied yet, in order; returns the ids it applied. */
  migrate(migrations: readonly Migration[]): Promise<string[]>
  close(): Promise<void>
}
