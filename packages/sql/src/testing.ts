import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { type AddressInfo, createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { openDatabase } from './index.js'
import type { Database, Dialect } from './types.js'

/** A fresh, empty database that lives until `drop()`. */
export interface TestStore {
  url: string
  drop(): Promise<void>
}

export interface Backend {
  name: Dialect
  /** A fresh empty database URL, to open as often as a test needs (restarts), then drop. */
  createStore(): Promise<TestStore>
  /** A fresh empty database, dropped when closed. */
  open(): Promise<Database>
  toString(): string
}

const POSTGRES_HINT =
  'set TEST_DATABASE_URL to a PostgreSQL superuser URL (scripts/test-postgres.sh starts one and prints it)'

function sqliteStore(): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), 'stateless-auth-test-'))
  return Promise.resolve({
    url: join(dir, 'test.sqlite'),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  })
}

async function postgresStore(adminUrl: string): Promise<TestStore> {
  const name = `sa_test_${process.pid}_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: adminUrl })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end()
  }
  const url = new URL(adminUrl)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl })
      await client.connect()
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      } finally {
        await client.end()
      }
    },
  }
}

function backend(name: Dialect, createStore: () => Promise<TestStore>): Backend {
  return {
    name,
    createStore,
    async open() {
      const store = await createStore()
      const db = await openDatabase(store.url, { poolSize: 4 })
      const close = db.close.bind(db)
      return Object.assign(db, {
        close: async () => {
          await close()
          await store.drop()
        },
      })
    },
    toString: () => name,
  }
}

/** Why the PostgreSQL backend is not available, or `undefined` when it is. */
export function postgresSkipReason(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env.TEST_DATABASE_URL ? undefined : `PostgreSQL not tested: ${POSTGRES_HINT}`
}

/**
 * The backends a storage suite must pass on: SQLite always, PostgreSQL when `TEST_DATABASE_URL` is set.
 * Under `CI=true` a missing PostgreSQL is an error, so CI can never pass by silently testing one backend.
 */
export function backends(env: NodeJS.ProcessEnv = process.env): Backend[] {
  const list = [backend('sqlite', sqliteStore)]
  const adminUrl = env.TEST_DATABASE_URL
  if (adminUrl) list.push(backend('postgres', () => postgresStore(adminUrl)))
  else if (env.CI === 'true') throw new Error(`CI=true but ${POSTGRES_HINT}`)
  else console.warn(`[stateless-auth] ${postgresSkipReason(env)}`)
  return list
}

/**
 * Makes every insert into `table` fail (a trigger), as a store that broke half-way through a request would; the
 * returned function removes the trigger. For tests of what a service leaves behind when a write fails.
 */
export async function breakInserts(db: Database, table: string): Promise<() => Promise<void>> {
  if (db.dialect === 'sqlite') {
    await db.exec(
      `CREATE TRIGGER ${table}_down BEFORE INSERT ON ${table} BEGIN SELECT RAISE(ABORT, '${table} store is down'); END;`,
    )
    return () => db.exec(`DROP TRIGGER ${table}_down;`)
  }
  await db.exec(`
    CREATE FUNCTION ${table}_down() RETURNS trigger LANGUAGE plpgsql AS
      $body$ BEGIN RAISE EXCEPTION '${table} store is down'; END $body$;
    CREATE TRIGGER ${table}_down BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_down();`)
  return () => db.exec(`DROP TRIGGER ${table}_down ON ${table}; DROP FUNCTION ${table}_down();`)
}

/** A TCP relay in front of a PostgreSQL database, to take the database away from a service and give it back. */
export interface DatabaseRelay {
  /** The database's URL with the relay as its host: what the service under test connects to. */
  readonly url: string
  /**
   * What a service sees when PostgreSQL stops: every open connection is reset and new ones are refused, while
   * the cluster other suites share keeps running.
   */
  cut(): Promise<void>
  /** Accepts connections again, on the same port. */
  restore(): Promise<void>
  close(): Promise<void>
}

/**
 * Starts a relay on 127.0.0.1 to the PostgreSQL server of `databaseUrl`.
 *
 * @example
 * const relay = await relayDatabase(store.url)
 * const app = await buildApp(loadConfig({ DATABASE_URL: relay.url }))
 * await relay.cut() // the app's requests now fail as if PostgreSQL had stopped
 * await relay.restore()
 */
export async function relayDatabase(databaseUrl: string): Promise<DatabaseRelay> {
  const target = new URL(databaseUrl)
  const sockets = new Set<Socket>()
  let server: Server | undefined
  let port = 0

  const relay = (inbound: Socket) => {
    const outbound = createConnection(Number(target.port || 5432), target.hostname)
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => {
        sockets.delete(socket)
        // One side gone is the whole connection gone, as when the server process dies.
        inbound.destroy()
        outbound.destroy()
      })
    }
    inbound.pipe(outbound).pipe(inbound)
  }
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const next = createServer(relay)
      next.once('error', reject)
      next.listen(port, '127.0.0.1', () => {
        port = (next.address() as AddressInfo).port
        server = next
        resolve()
      })
    })
  const cut = async () => {
    const current = server
    server = undefined
    for (const socket of sockets) socket.destroy()
    if (current) await new Promise((resolve) => current.close(resolve))
  }

  await listen()
  const url = new URL(databaseUrl)
  url.host = `127.0.0.1:${port}`
  return {
    url: url.toString(),
    cut,
    restore: () => (server ? Promise.resolve() : listen()),
    close: cut,
  }
}
