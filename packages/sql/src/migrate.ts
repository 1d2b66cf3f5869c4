import type { Database, Migration } from './types.js'

// Any constant works; it only has to be the same in every replica so that concurrent boots take turns.
const MIGRATION_LOCK_ID = 7_368_201

/**
 * Applies pending migrations in one transaction. On PostgreSQL an advisory lock makes replicas that boot at the
 * same time take turns; on SQLite `BEGIN IMMEDIATE` already serialises writers across processes.
 */
export async function runMigrations(db: Database, migrations: readonly Migration[]): Promise<string[]> {
  const ids = new Set<string>()
  for (const { id } of migrations) {
    if (ids.has(id)) throw new Error(`duplicate migration id "${id}"`)
    ids.add(id)
  }
  return db.transaction(async (tx) => {
    if (db.dialect === 'postgres') await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_ID])
    await tx.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)',
    )
    const done = new Set(
      (await tx.query<{ id: string }>('SELECT id FROM schema_migrations')).map((row) => row.id),
    )
    const applied: string[] = []
    for (const migration of migrations) {
      if (done.has(migration.id)) continue
      await tx.exec(typeof migration.up === 'string' ? migration.up : migration.up[db.dialect])
      await tx.execute('INSERT INTO schema_migrations (id, applied_at) VALUES ($1, $2)', [
        migration.id,
        Math.floor(Date.now() / 1000),
      ])
      applied.push(migration.id)
    }
    return applied
  })
}
