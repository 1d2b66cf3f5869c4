import type { Queryable, SqlValue } from '@stateless-auth/sql'

// Tables name their columns in snake_case, records their fields in camelCase: `created_at` is `createdAt`.
// These two helpers map one onto the other, so a repository states its columns once.

type Camel<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Head}${Capitalize<Camel<Tail>>}`
  : S

type Snake<S extends string> = S extends `${infer C}${infer Rest}`
  ? `${C extends Lowercase<C> ? C : `_${Lowercase<C>}`}${Snake<Rest>}`
  : S

/** The row a record is stored as: every field `aB` becomes the column `a_b`, values as they are. */
export type Snaked<T> = { [K in keyof T as K extends string ? Snake<K> : K]: T[K] }

/** A row with its columns renamed to camelCase fields, values as they are. */
export type Camelized<Row> = { [K in keyof Row as K extends string ? Camel<K> : K]: Row[K] }

const snake = (field: string) => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const camel = (column: string) => column.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())

/** A row read from a table, as a record: every column `a_b` becomes the field `aB`. */
export function fromRow<Row extends object>(row: Row): Camelized<Row> {
  return Object.fromEntries(
    Object.entries(row).map(([column, value]) => [camel(column), value]),
  ) as Camelized<Row>
}

/**
 * Inserts `record` into `table`, one column per name in `fields` (the field `aB` into the column `a_b`); only the
 * fields named are written, whatever else the object carries.
 */
export async function insertRow<T extends object>(
  db: Queryable,
  table: string,
  fields: readonly (keyof T & string)[],
  record: T,
): Promise<void> {
  const placeholders = fields.map((_, i) => `$${i + 1}`).join(', ')
  await db.execute(
    `INSERT INTO ${table} (${fields.map(snake).join(', ')}) VALUES (${placeholders})`,
    fields.map((field) => record[field] as SqlValue),
  )
}

/** The first row `sql` selects, as a record of type `T` (see `fromRow`), or `undefined`. */
export async function oneRecord<T>(
  db: Queryable,
  sql: string,
  params: readonly SqlValue[],
): Promise<T | undefined> {
  const row = await db.one<Snaked<T> & object>(sql, params)
  return row && (fromRow(row) as T)
}
