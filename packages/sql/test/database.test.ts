import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Database, isUniqueViolation, type Migration, openDatabase } from '../src/index.js'
import { backends } from '../src/testing.js'

const migrations: Migration[] = [
  {
    id: '001-items',
    up: `CREATE TABLE items (id TEXT PRIMARY KEY, stock INTEGER NOT NULL, created_at BIGINT NOT NULL, note TEXT);`,
  },
  {
    id: '002-events',
    up: {
      sqlite: 'CREATE TABLE events (id INTEGER PRIMARY KEY AUTOINCREMENT, item TEXT NOT NULL);',
      postgres: 'CREATE TABLE events (id BIGSERIAL PRIMARY KEY, item TEXT NOT NULL);',
    },
  },
]

describe.each(backends())('database on %s', (backend) => {
  let db: Database

  beforeEach(async () => {
    db = await backend.open()
    await db.migrate(migrations)
  })
  afterEach(async () => {
    await db.close()
  })

  it('binds $n placeholders in any order and repeated, and returns integers as numbers', async () => {
    const now = 1_790_000_000_123
    await db.execute('INSERT INTO items (id, stock, created_at, note) VALUES ($2, $1, $3, $4)', [
      5,
      'a',
      now,
      "it's $1",
    ])
    const row = await db.one<{ id: string; stock: number; created_at: number; note: string }>(
      "SELECT id, stock, created_at, note FROM items WHERE id = $1 AND stock = $2 AND note <> '$1' AND id = $1",
      ['a', 5],
    )
    expect(row).toEqual({ id: 'a', stock: 5, created_at: now, note: "it's $1" })
    const [count] = await db.query<{ n: number }>('SELECT COUNT(*) AS n FROM items')
    expect(count?.n).toBe(1)
  })

  it('binds booleans and undefined as 1/0 and NULL', async () => {
    await db.execute('INSERT INTO items (id, stock, created_at, note) VALUES ($1, $2, $3, $4)', [
      'b',
      1,
      0,
      undefined,
    ])
    expect(await db.one('SELECT note FROM items WHERE id = $1', ['b'])).toEqual({ note: null })
  })

  it('reports rowCount so a conditional update has exactly one winner among concurrent callers', async () => {
    await db.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, $2, $3)', ['c', 1, 0])
    const attempts = await Promise.all(
      Array.from({ length: 20 }, () =>
        db.execute('UPDATE items SET stock = stock - 1 WHERE id = $1 AND stock > 0', ['c']),
      ),
    )
    expect(attempts.filter((result) => result.rowCount === 1)).toHaveLength(1)
    expect(await db.one('SELECT stock FROM items WHERE id = $1', ['c'])).toEqual({ stock: 0 })
  })

  it('counts rows returned by UPDATE … RETURNING', async () => {
    await db.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 3, 0), ($2, 3, 0)', ['d', 'e'])
    const rows = await db.query<{ id: string }>('UPDATE items SET stock = 0 RETURNING id')
    expect(rows.map((row) => row.id).sort()).toEqual(['d', 'e'])
    expect((await db.execute('UPDATE items SET stock = 1 RETURNING id')).rowCount).toBe(2)
  })

  it('commits a transaction as a whole and rolls it back on throw', async () => {
    await db.transaction(async (tx) => {
      await tx.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 1, 0)', ['t1'])
      await tx.execute('INSERT INTO events (item) VALUES ($1)', ['t1'])
    })
    await expect(
      db.transaction(async (tx) => {
        await tx.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 1, 0)', ['t2'])
        throw new Error('boom')
      }),
    ).rejects.toThrow('boom')
    expect((await db.query<{ id: string }>('SELECT id FROM items ORDER BY id')).map((row) => row.id)).toEqual(
      ['t1'],
    )
  })

  it('keeps concurrent transactions from interleaving (read-modify-write stays consistent)', async () => {
    await db.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 0, 0)', ['n'])
    const lock = db.dialect === 'postgres' ? ' FOR UPDATE' : ''
    await Promise.all(
      Array.from({ length: 10 }, () =>
        db.transaction(async (tx) => {
          const row = await tx.one<{ stock: number }>(`SELECT stock FROM items WHERE id = $1${lock}`, ['n'])
          await new Promise((resolve) => setImmediate(resolve))
          await tx.execute('UPDATE items SET stock = $1 WHERE id = $2', [row!.stock + 1, 'n'])
        }),
      ),
    )
    expect(await db.one('SELECT stock FROM items WHERE id = $1', ['n'])).toEqual({ stock: 10 })
  })

  it('recognises unique violations', async () => {
    await db.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 1, 0)', ['u'])
    const error = await db
      .execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 1, 0)', ['u'])
      .catch((e) => e)
    expect(isUniqueViolation(error)).toBe(true)
    expect(isUniqueViolation(new Error('other'))).toBe(false)
  })

  it('applies each migration once, even when several openers race', async () => {
    expect(await db.migrate(migrations)).toEqual([])
    const extra: Migration = { id: '003-index', up: 'CREATE INDEX items_stock ON items (stock);' }
    const results = await Promise.all([
      db.migrate([...migrations, extra]),
      db.migrate([...migrations, extra]),
    ])
    expect(results.flat()).toEqual(['003-index'])
    await expect(db.migrate([migrations[0]!, migrations[0]!])).rejects.toThrow('duplicate migration id')
  })
})

describe.each(backends())('persistence on %s', (backend) => {
  it('keeps data across a close and reopen of the same database', async () => {
    const store = await backend.createStore()
    try {
      const first = await openDatabase(store.url)
      await first.migrate(migrations)
      await first.execute('INSERT INTO items (id, stock, created_at) VALUES ($1, 7, 0)', ['kept'])
      await first.close()
      const second = await openDatabase(store.url)
      expect(await second.migrate(migrations)).toEqual([])
      expect(await second.one('SELECT stock FROM items WHERE id = $1', ['kept'])).toEqual({ stock: 7 })
      await second.close()
    } finally {
      await store.drop()
    }
  })
})

describe('openDatabase', () => {
  it('names the database without its password when PostgreSQL is unreachable', async () => {
    const error = await openDatabase('postgres://user:secret-pw@127.0.0.1:1/none').catch((e: Error) => e)
    expect(String(error)).toContain('cannot connect to PostgreSQL at postgres://user:***@127.0.0.1:1/none')
    expect(String(error)).not.toContain('secret-pw')
  })
})
