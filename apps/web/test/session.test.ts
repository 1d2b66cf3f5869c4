import { openDatabase } from '@stateless-auth/sql'
import { describe, expect, it } from 'vitest'
import { createSealer } from '../src/session/seal.js'
import { createSessionStore, migrations, type SessionData } from '../src/session/store.js'

const data: SessionData = {
  sub: 'alice',
  username: 'alice',
  scope: 'openid',
  refreshToken: 'refresh-token-value',
  tokens: { orders: { accessToken: 'a.b.c', expiresAt: 1000 } },
}

describe('server-side sessions', () => {
  it('seals tokens with AES-256-GCM: a changed byte or another secret opens nothing', () => {
    const sealer = createSealer('s'.repeat(32))
    const box = sealer.seal('refresh-token-value')
    expect(box).not.toContain('refresh-token-value')
    expect(sealer.open(box)).toBe('refresh-token-value')
    const [iv, tag, body] = box.split('.')
    const flipped = Buffer.from(body!, 'base64url')
    flipped[0] = flipped[0]! ^ 1
    expect(sealer.open([iv, tag, flipped.toString('base64url')].join('.'))).toBeUndefined()
    expect(createSealer('t'.repeat(32)).open(box)).toBeUndefined()
    expect(sealer.open('not-a-box')).toBeUndefined()
  })

  it('stores only a hash of the id and the sealed data, and forgets expired sessions', async () => {
    const db = await openDatabase(':memory:')
    await db.migrate(migrations)
    let now = 1000
    const store = createSessionStore(db, createSealer('s'.repeat(32)), 60, () => now)
    const id = await store.create(data)
    expect(id).toMatch(/^[\w-]{43}$/)
    const rows = await db.query<{ id_hash: string; sealed: string }>(
      'SELECT id_hash, sealed FROM web_sessions',
    )
    expect(rows).toHaveLength(1)
    expect(rows[0]!.id_hash).not.toBe(id)
    expect(rows[0]!.sealed).not.toContain('refresh-token-value')
    expect(await store.get(id)).toEqual(data)
    expect(await store.get('someone-elses-guess')).toBeUndefined()
    now += 61
    expect(await store.get(id)).toBeUndefined()
    await db.close()
  })

  it('gives the refresh lease of a session to one holder at a time, until released or lapsed (issue 12, item 8)', async () => {
    const db = await openDatabase(':memory:')
    await db.migrate(migrations)
    // Two stores on one database stand for two replicas.
    const a = createSessionStore(db, createSealer('s'.repeat(32)), 60)
    const b = createSessionStore(db, createSealer('s'.repeat(32)), 60)
    const id = await a.create(data)
    expect(await a.lease(id, 10_000)).toBe(true)
    expect(await b.lease(id, 10_000)).toBe(false)
    await a.release(id)
    expect(await b.lease(id, 1)).toBe(true)
    await new Promise((resolve) => setTimeout(resolve, 5))
    expect(await a.lease(id, 10_000)).toBe(true)
    expect(await b.lease('no-such-session', 10_000)).toBe(false)
    await db.close()
  })
})
