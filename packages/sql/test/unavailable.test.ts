import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { isDatabaseUnavailable, openDatabase } from '../src/index.js'
import { PostgresDatabase } from '../src/postgres.js'

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
