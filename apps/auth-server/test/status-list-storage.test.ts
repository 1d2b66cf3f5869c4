import { backends } from '@stateless-auth/sql/testing'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Storage } from '../src/storage/index.js'
import { invalidateStatuses } from '../src/storage/status-lists.js'
import { freshStorage } from './helpers.js'

const NOW = 1_800_000_000

describe.each(backends())('status list storage on %s', (backend) => {
  let storage: Storage
  beforeEach(async () => {
    storage = await freshStorage(backend)
    await storage.statusLists.create({ id: 'list-a', size: 16, bits: 1 }, NOW)
    await storage.statusLists.create({ id: 'list-b', size: 16, bits: 1 }, NOW)
  })
  afterEach(() => storage.close())

  const owner = (
    jti: string,
    extra: Partial<{ userId: string; grantId: string; expiresAt: number }> = {},
  ) => {
    const expiresAt = extra.expiresAt ?? NOW + 300
    return {
      jti,
      clientId: 'web',
      subject: extra.userId ?? 'web',
      userId: extra.userId ?? null,
      grantId: extra.grantId ?? null,
      expiresAt,
      reusableAt: expiresAt + 60,
    }
  }
  const version = async (id: string) => (await storage.statusLists.find(id))!.version
  const grant = (id: string, userId: string) => ({
    id,
    userId,
    clientId: 'web',
    scope: 'openid',
    resources: [],
    authTime: NOW,
    createdAt: NOW,
    expiresAt: NOW + 3600,
  })
  async function userWithGrants(id: string, ...grantIds: string[]) {
    await storage.users.createIfMissing({ id, username: id, passwordHash: 'h', name: id, email: null }, NOW)
    for (const grantId of grantIds) await storage.grants.create(grant(grantId, id))
  }

  it('lets exactly one of 30 concurrent claims of one index win', async () => {
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => storage.statusLists.claim('list-a', [5], owner(`t${i}`), NOW)),
    )
    expect(results.filter((idx) => idx === 5)).toHaveLength(1)
    expect(results.filter((idx) => idx === undefined)).toHaveLength(29)
  })

  it('takes the next candidate when one is taken, and gives up when all are', async () => {
    expect(await storage.statusLists.claim('list-a', [3], owner('t1'), NOW)).toBe(3)
    expect(await storage.statusLists.claim('list-a', [3, 9], owner('t2'), NOW)).toBe(9)
    expect(await storage.statusLists.claim('list-a', [3, 9], owner('t3'), NOW)).toBeUndefined()
    // The same index in another list is another entry.
    expect(await storage.statusLists.claim('list-b', [3], owner('t4'), NOW)).toBe(3)
  })

  it('takes over an entry only once it is past reusable_at and VALID', async () => {
    await storage.statusLists.claim('list-a', [1], owner('old', { expiresAt: NOW + 10 }), NOW)
    // reusable_at = exp + 60: not before.
    expect(await storage.statusLists.claim('list-a', [1], owner('new'), NOW + 69)).toBeUndefined()
    expect(await storage.statusLists.claim('list-a', [1], owner('new'), NOW + 70)).toBe(1)
    expect(await storage.statusLists.findEntry('new')).toEqual({ listId: 'list-a', idx: 1, status: 0 })
    expect(await storage.statusLists.findEntry('old')).toBeUndefined()

    // A revoked entry keeps its bit past reusable_at until released, then is held one more ttl + skew.
    await storage.statusLists.claim('list-a', [2], owner('revoked', { expiresAt: NOW + 10 }), NOW)
    await storage.db.transaction((tx) => invalidateStatuses(tx, { jti: 'revoked' }, NOW))
    expect(await storage.statusLists.claim('list-a', [2], owner('x'), NOW + 100)).toBeUndefined()
    const before = await version('list-a')
    expect(await storage.statusLists.releaseDead(NOW + 100, 90)).toBe(1)
    expect(await version('list-a')).toBe(before + 1)
    expect(await storage.statusLists.statuses('list-a')).toEqual([])
    expect(await storage.statusLists.claim('list-a', [2], owner('x'), NOW + 189)).toBeUndefined()
    expect(await storage.statusLists.claim('list-a', [2], owner('x'), NOW + 190)).toBe(2)
    // Nothing left to release: the version stays.
    expect(await storage.statusLists.releaseDead(NOW + 200, 90)).toBe(0)
    expect(await version('list-a')).toBe(before + 1)
  })

  it('invalidates by jti, grant and user, bumping only the versions of the lists it changed', async () => {
    await userWithGrants('alice', 'g1', 'g2')
    await storage.statusLists.claim('list-a', [0], owner('a0', { userId: 'alice', grantId: 'g1' }), NOW)
    await storage.statusLists.claim('list-b', [1], owner('a1', { userId: 'alice', grantId: 'g1' }), NOW)
    await storage.statusLists.claim('list-a', [2], owner('a2', { userId: 'alice', grantId: 'g2' }), NOW)
    await storage.statusLists.claim('list-a', [3], owner('c3'), NOW)
    await storage.statusLists.claim(
      'list-a',
      [4],
      owner('expired', { userId: 'alice', grantId: 'g2', expiresAt: NOW - 100 }),
      NOW - 400,
    )

    await storage.accessTokens.record({
      jti: 'c3',
      grantId: null,
      clientId: 'web',
      subject: 'web',
      audience: 'x',
      scope: '',
      issuedAt: NOW,
      expiresAt: NOW + 300,
    })
    expect(await storage.accessTokens.revoke('c3', NOW)).toBe(true)
    expect(await storage.statusLists.statuses('list-a')).toEqual([{ idx: 3, status: 1 }])
    expect(await version('list-a')).toBe(1)
    expect(await version('list-b')).toBe(0)

    await storage.grants.revoke('g1', NOW)
    expect(await storage.statusLists.statuses('list-b')).toEqual([{ idx: 1, status: 1 }])
    expect((await storage.statusLists.statuses('list-a')).map((e) => e.idx).sort()).toEqual([0, 3])
    expect([await version('list-a'), await version('list-b')]).toEqual([2, 1])

    expect(await storage.users.setDisabled('alice', true, NOW)).toBe(true)
    // a2 is alice's last live token; the expired one (past reusable_at) keeps its VALID bit.
    expect((await storage.statusLists.statuses('list-a')).map((e) => e.idx).sort()).toEqual([0, 2, 3])
    expect([await version('list-a'), await version('list-b')]).toEqual([3, 1])
    // Nothing changes twice: already INVALID entries bump no version.
    await storage.grants.revoke('g1', NOW)
    expect([await version('list-a'), await version('list-b')]).toEqual([3, 1])
  })

  it('writes an entry INVALID when its grant or user was revoked before the claim committed', async () => {
    await userWithGrants('bob', 'g1', 'g2')
    await storage.grants.revoke('g1', NOW)
    expect(
      await storage.statusLists.claim('list-a', [7], owner('late', { userId: 'bob', grantId: 'g1' }), NOW),
    ).toBe(7)
    expect(await storage.statusLists.statuses('list-a')).toEqual([{ idx: 7, status: 1 }])
    expect(await version('list-a')).toBe(1)

    await storage.users.setDisabled('bob', true, NOW)
    await storage.statusLists.claim('list-b', [8], owner('late2', { userId: 'bob', grantId: 'g2' }), NOW)
    expect(await storage.statusLists.statuses('list-b')).toEqual([{ idx: 8, status: 1 }])
  })

  it('seals a list once and reopens it only when every entry is reusable again', async () => {
    await storage.statusLists.claim('list-a', [0], owner('t', { expiresAt: NOW + 10 }), NOW)
    expect(await storage.statusLists.seal('list-a', NOW)).toBe(true)
    expect(await storage.statusLists.seal('list-a', NOW)).toBe(false)
    expect((await storage.statusLists.open(16, 1)).map((l) => l.id)).toEqual(['list-b'])
    expect(await storage.statusLists.reopenDrained(16, 1, NOW + 69)).toBeUndefined()
    expect(await storage.statusLists.reopenDrained(16, 1, NOW + 70)).toMatchObject({
      id: 'list-a',
      sealedAt: null,
    })
    expect((await storage.statusLists.open(16, 1)).map((l) => l.id).sort()).toEqual(['list-a', 'list-b'])
  })
})
