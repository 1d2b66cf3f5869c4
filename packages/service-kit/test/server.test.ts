import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startServer } from '../src/server.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('startServer', () => {
  it('on SIGTERM lets in-flight requests on every listener finish, then closes pools, then exits 0', async () => {
    const exited = new Promise<unknown>((resolve) => {
      vi.spyOn(process, 'exit').mockImplementation((code) => {
        resolve(code)
        return undefined as never
      })
    })
    const events: string[] = []
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let entered = 0
    const slowApp = (name: string) => {
      const instance = Fastify()
      instance.get('/slow', async () => {
        entered++
        await released
        events.push(`${name} request finished`)
        return { done: true }
      })
      return instance
    }
    // The main listener, and an operator listener alongside it (the auth-server's /admin/* on loopback).
    const app = slowApp('main')
    const operator = slowApp('operator')
    app.addHook('onClose', async () => {
      events.push('pool closed')
    })
    await startServer(app, {
      port: 0,
      host: '127.0.0.1',
      graceDelayMs: 5000,
      alongside: [{ app: operator, port: 0, host: '127.0.0.1' }],
    })
    const slow = (instance: typeof app) => {
      const { port } = instance.server.address() as { port: number }
      return fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => [
        r.status,
        await r.json(),
        r.headers.get('connection'),
      ])
    }
    const responses = [slow(app), slow(operator)]
    await vi.waitFor(() => expect(entered).toBe(2))
    process.emit('SIGTERM')
    // Closing has started: both listeners are gone, the in-flight requests are still being served.
    await vi.waitFor(() => {
      expect(app.server.listening).toBe(false)
      expect(operator.server.listening).toBe(false)
    })
    expect(events).toEqual([])
    release()

    // Issue 15, scenario 4: the client must not reuse a connection the server is about to close.
    expect(await Promise.all(responses)).toEqual([
      [200, { done: true }, 'close'],
      [200, { done: true }, 'close'],
    ])
    expect(await exited).toBe(0)
    expect(events.at(-1)).toBe('pool closed')
    expect(events.slice(0, -1).sort()).toEqual(['main request finished', 'operator request finished'])
  })
})
