import { type Database, type Migration, openDatabase, redactUrl } from '@stateless-auth/sql'

/**
 * Opens the app's database (a SQLite file by default, PostgreSQL for `postgres://…`) and applies its
 * migrations, which also seed demo data on first start. Every replica may run this at boot: migrations take a
 * lock, and an applied migration is recorded once.
 */
export async function openAppDatabase(url: string, migrations: readonly Migration[]): Promise<Database> {
  const db = await openDatabase(url)
  try {
    await db.migrate(migrations)
  } catch (error) {
    await db.close()
    throw new Error(`cannot migrate the database at ${redactUrl(url)}: ${(error as Error).message}`, {
      cause: error,
    })
  }
  return db
}
