import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { loggerOptions } from '@stateless-auth/service-kit/logger'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { buildApp } from '../src/app.js'
import { bearer, type Harness, harness, testConfig } from './helper.js'

describe('operations: health, readiness, metrics, docs, logs', () => {
  let dir: string
  let h: Harness

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'inventory-ops-'))
    h = await harness(join(dir, 'db.sqlite'))
  })
  afterEach(async () => {
    await h.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('/health answers without a token', async () => {
    const res = await h.app.inject({ url: '/health' })
    expect(res.statusCode).toBe(200)
    expect(res.json()).toEqual({ status: 'ok' })
  })

  it('/ready is 200 once keys can be loaded, 503 while the issuer cannot be reached', async () => {
    const ready = await h.app.inject({ url: '/ready' })
    expect(ready.statusCode).toBe(200)
    expect(ready.json()).toEqual({ status: 'ready', checks: { signing_keys: 'ok', database: 'ok' } })

    await h.issuer.stop()
    const cold = await buildApp(
      testConfig(h.issuer, join(dir, 'cold.sqlite'), { JWKS_FETCH_TIMEOUT_MS: '500' }),
    )
    try {
      const res = await cold.inject({ url: '/ready' })
      expect(res.statusCode).toBe(503)
      expect(res.headers['retry-after']).toBe('5')
      expect(res.json()).toMatchObject({
        error: 'temporarily_unavailable',
        checks: { signing_keys: 'failed' },
      })
    } finally {
      await cold.close()
    }
  })

  it('/metrics counts verifications by outcome and code, key-cache use and JWKS fetches', async () => {
    const good = bearer(await h.serviceToken())
    await h.app.inject({ url: '/inventory', headers: good })
    await h.app.inject({ url: '/inventory', headers: good })
    await h.app.inject({ url: '/inventory', headers: bearer(await h.issuer.token({}, { expiresIn: -300 })) })
    const res = await h.app.inject({ url: '/metrics' })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8')
    const text = res.body
    expect(text).toContain('# TYPE jwks_fetches_total counter')
    expect(text).toMatch(/^jwks_fetches_total\{outcome="ok",reason="initial"\} 1$/m)
    expect(text).toMatch(/^token_verifications_total\{code="",outcome="verified"\} 2$/m)
    expect(text).toMatch(
      /^token_verifications_total\{code="VERIFIER_ERR_TOKEN_EXPIRED",outcome="failed"\} 1$/m,
    )
    expect(text).toMatch(/^jwks_key_cache_hits_total [1-9]/m)
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/inventory",status_code="200"\} 2$/m)
    expect(text).toMatch(/^http_requests_total\{method="GET",route="\/inventory",status_code="401"\} 1$/m)
  })

  it('documents every route with the bearer scheme and the scopes it enforces', async () => {
    const res = await h.app.inject({ url: '/docs/json' })
    expect(res.statusCode).toBe(200)
    const doc = res.json()
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' })
    expect(doc.paths['/inventory'].get.security).toEqual([{ bearerAuth: ['inventory:read'] }])
    expect(doc.paths['/inventory/{sku}'].get.security).toEqual([{ bearerAuth: ['inventory:read'] }])
    expect(doc.paths['/inventory/{sku}/reserve'].post.security).toEqual([{ bearerAuth: ['inventory:write'] }])
    expect(doc.paths['/inventory/{sku}/release'].post.security).toEqual([{ bearerAuth: ['inventory:write'] }])
    expect(doc.paths['/health'].get.security).toBeUndefined()
    expect((await h.app.inject({ url: '/docs' })).statusCode).toBeLessThan(400)
  })

  it('never writes a token into the logs', async () => {
    const lines: string[] = []
    const stream = new Writable({
      write(chunk, _, done) {
        lines.push(String(chunk))
        done()
      },
    })
    const token = await h.serviceToken()
    const app = await buildApp(testConfig(h.issuer, join(dir, 'logs.sqlite')), {
      logger: { ...loggerOptions('trace', false), stream },
    })
    try {
      app.log.info({ req: { headers: { authorization: `Bearer ${token}` } } }, 'a request logged by hand')
      app.log.info({ headers: { authorization: `Bearer ${token}`, cookie: 'sid=secret' } }, 'headers by hand')
      await app.inject({ url: `/inventory?access_token=${token}`, headers: bearer(token) })
      await app.inject({ url: '/inventory', headers: bearer(`${token}x`) })
    } finally {
      await app.close()
    }
    const log = lines.join('')
    expect(log).toContain('[redacted]')
    expect(log).toContain('"url":"/inventory?access_token=[redacted]"')
    expect(log).toContain('"headers":{"authorization":"[redacted]","cookie":"[redacted]"}')
    expect(log).not.toContain('sid=secret')
    expect(log).not.toContain(token.split('.')[1])
  })
})
