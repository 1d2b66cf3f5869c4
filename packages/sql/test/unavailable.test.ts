import { createServer } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Database, isDatabaseUnavailable, openDatabase } from '../src/index.js'
import { PostgresDatabase } from '../src/postgres.js'
import {
  backends,
  type DatabaseRelay,
  postgresSkipReason,
  relayDatabase,
  type TestStore,
} from '../src/testing.js'

/** A loopback port nobody listens on. */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Issue 15, scenario 2: while PostgreSQL restarted, the auth-server answered 500 (found by `pnpm resilience`).
describe('isDatabaseUnavailable', () => {
  it('recognises a PostgreSQL that is not there', async () => {
    // Opened without openDatabase's connection check: a pool whose server went away after it started.
    const db = new PostgresDatabase(`postgres://nobody:secret@127.0.0.1:${await closedPort()}/none`)
    const error = await db.query('SELECT 1').catch((e: unknown) => e)
    await db.close()
    expect(isDatabaseUnavailable(error)).toBe(true)
  })

  it('recognises a server shutting down and a connection lost mid-query', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' }))).toBe(
      true,
    )
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('the database system is starting up'), { code: '57P03' }),
      ),
    ).toBe(true)
    expect(isDatabaseUnavailable(new Error('Connection terminated unexpectedly'))).toBe(true)
  })

  it('leaves a query error alone', async () => {
    const db = await openDatabase(':memory:')
    const error = await db.query('SELEC 1').catch((e: unknown) => e)
    await db.close()
    expect(isDatabaseUnavailable(error)).toBe(false)
    expect(isDatabaseUnavailable(Object.assign(new Error('duplicate'), { code: '23505' }))).toBe(false)
    expect(isDatabaseUnavailable(undefined)).toBe(false)
  })
})

const postgres = backends().find((b) => b.name === 'postgres')
describe.skipIf(!postgres)(`PostgreSQL going away under an open pool ${postgresSkipReason() ?? ''}`, () => {
  let store: TestStore
  let relay: DatabaseRelay
  let db: Database
  beforeEach(async () => {
    store = await postgres!.createStore()
    relay = await relayDatabase(store.url)
    db = await openDatabase(relay.url)
    await db.exec('CREATE TABLE t (x INTEGER)')
  })
  afterEach(async () => {
    await db.close()
    await relay.close()
    await store.drop()
  })

  // A transaction took a pooled connection that had just been lost: its 'error' event, unheard, crashed the
  // process (vitest reports it as an uncaught exception, failing the run).
  it('fails a transaction as unavailable, without crashing, and works again once it is back', async () => {
    await db.transaction((tx) => tx.execute('INSERT INTO t VALUES (1)'))
    await relay.cut()
    const lost = await db.transaction((tx) => tx.execute('INSERT INTO t VALUES (2)')).catch((e: unknown) => e)
    expect(isDatabaseUnavailable(lost)).toBe(true)
    const refused = await db.query('SELECT 1').catch((e: unknown) => e)
    expect(isDatabaseUnavailable(refused)).toBe(true)
    await relay.restore()
    await db.transaction((tx) => tx.execute('INSERT INTO t VALUES (3)'))
    expect(await db.query('SELECT x FROM t ORDER BY x')).toEqual([{ x: 1 }, { x: 3 }])
  })
})
