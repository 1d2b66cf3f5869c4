import { backends } from '@stateless-auth/sql/testing'
import { describe, expect, it } from 'vitest'
import {
  discover,
  freshStores,
  ORDERS,
  obtainCode,
  redeem,
  refresh,
  start,
  verifyAccessToken,
} from './helpers.js'

describe.each(backends())('restart on the same %s store', (backend) => {
  const newStore = freshStores(backend)

  it('keeps keys, users, grants and tokens: earlier access and refresh tokens still work', async () => {
    const store = await newStore()
    const first = await start({
      DATABASE_URL: store.url,
      KEY_ENCRYPTION_SECRET: 'a long key-encryption secret',
    })
    const tokens = (await (await redeem(first.url, await obtainCode(first.url))).json()) as {
      access_token: string
      refresh_token: string
    }
    const jwksBefore = await (await fetch(`${first.url}/jwks`)).json()
    await first.close()

    const second = await start({
      DATABASE_URL: store.url,
      ISSUER: first.url,
      KEY_ENCRYPTION_SECRET: 'a long key-encryption secret',
    })
    expect(await (await fetch(`${second.url}/jwks`)).json()).toEqual(jwksBefore)
    await verifyAccessToken(second.url, tokens.access_token, ORDERS)
    const config = await discover(second.url)
    expect(config.serverMetadata().issuer).toBe(first.url)
    const introspection = await fetch(`${second.url}/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from('web:web-secret').toString('base64')}`,
      },
      body: new URLSearchParams({ token: tokens.access_token }),
    })
    expect(await introspection.json()).toMatchObject({ active: true, sub: 'alice' })
    const refreshed = await refresh(second.url, tokens.refresh_token)
    expect(refreshed.status).toBe(200)
    const next = (await refreshed.json()) as { access_token: string }
    const { protectedHeader } = await verifyAccessToken(second.url, next.access_token, ORDERS)
    expect((jwksBefore as { keys: Array<{ kid: string }> }).keys.map((k) => k.kid)).toContain(
      protectedHeader.kid,
    )
    await second.close()
  })

  it('refuses to start when the keys are encrypted and the secret is missing or wrong', async () => {
    const store = await newStore()
    const first = await start({
      DATABASE_URL: store.url,
      KEY_ENCRYPTION_SECRET: 'a long key-encryption secret',
    })
    await first.close()
    await expect(
      start({ DATABASE_URL: store.url, KEY_ENCRYPTION_SECRET: 'another long secret value' }),
    ).rejects.toThrow(/cannot be decrypted: wrong KEY_ENCRYPTION_SECRET/)
    await expect(start({ DATABASE_URL: store.url })).rejects.toThrow(
      /encrypted at rest: set KEY_ENCRYPTION_SECRET/,
    )
    // The stored private key is an AES-256-GCM envelope, not a JWK.
    const { openDatabase } = await import('@stateless-auth/sql')
    const db = await openDatabase(store.url)
    const rows = await db.query<{ private_key: string }>('SELECT private_key FROM signing_keys')
    await db.close()
    expect(rows.length).toBeGreaterThan(0)
    for (const row of rows) {
      expect(row.private_key).toMatch(/^aes-256-gcm:v1:/)
      expect(row.private_key).not.toContain('"d"')
    }
  })

  it('encrypts keys stored in the clear once KEY_ENCRYPTION_SECRET is set, keeping the same keys', async () => {
    const store = await newStore()
    const plain = await start({ DATABASE_URL: store.url })
    const tokens = (await (await redeem(plain.url, await obtainCode(plain.url))).json()) as {
      access_token: string
    }
    await plain.close()
    const { openDatabase } = await import('@stateless-auth/sql')
    const privateKeys = async () => {
      const db = await openDatabase(store.url)
      const rows = await db.query<{ kid: string; private_key: string }>(
        'SELECT kid, private_key FROM signing_keys',
      )
      await db.close()
      return rows
    }
    const [cleartext] = await privateKeys()
    expect(cleartext!.private_key).toContain('"d"')

    const secret = {
      DATABASE_URL: store.url,
      ISSUER: plain.url,
      KEY_ENCRYPTION_SECRET: 'a long key-encryption secret',
    }
    const encrypted = await start(secret)
    for (const row of await privateKeys()) expect(row.private_key).toMatch(/^aes-256-gcm:v1:/)
    // Same key, so the earlier token still verifies and new ones are signed with it.
    await verifyAccessToken(encrypted.url, tokens.access_token, ORDERS)
    await encrypted.close()
    // And the next start, with the secret, decrypts what the previous one encrypted.
    await (await start(secret)).close()
  })
})
