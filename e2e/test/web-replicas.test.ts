import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Service } from './helpers/services.js'
import { type Stack, startStack } from './helpers/stack.js'
import { postJson, signIn } from './helpers/web-sign-in.js'

// Issue 12, item 8: two web replicas on one session database. REFRESH_MARGIN above the token lifetime makes the
// session's access token always due, so every call through either replica wants to refresh.
describe('two web replicas sharing a session database', () => {
  let stack: Stack
  let replica: Service
  let dir: string
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'web-replicas-'))
    stack = await startStack({ DATABASE_URL: join(dir, 'web.sqlite'), REFRESH_MARGIN: '3600' })
    replica = await stack.startWebReplica()
  })
  afterAll(async () => {
    await stack?.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('refresh a due session once between them: no reuse detection, every call succeeds', async () => {
    const jar = await signIn(stack.webUrl)
    const refreshesBefore = stack.toAuthServer.filter((path) => path === '/token').length
    const calls = await Promise.all(
      [stack.webUrl, replica.url, stack.webUrl, replica.url].map((url) =>
        postJson(url, '/api/call/orders', jar),
      ),
    )
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200, 200])
    expect(calls.map((c) => c.body.status)).toEqual([200, 200, 200, 200])
    expect(stack.toAuthServer.filter((path) => path === '/token').length - refreshesBefore).toBe(1)
    // The family is still alive: both replicas go on refreshing it.
    expect((await postJson(replica.url, '/api/call/orders', jar)).body.status).toBe(200)
    expect((await postJson(stack.webUrl, '/api/call/orders', jar)).body.status).toBe(200)
  })
})
