import Fastify from 'fastify'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startServer } from '../src/server.js'

afterEach(() => {
  vi.restoreAllMocks()
})

describe('startServer', () => {
  it('on SIGTERM lets an in-flight request finish, then closes pools, then exits 0', async () => {
    const exited = new Promise<unknown>((resolve) => {
      vi.spyOn(process, 'exit').mockImplementation((code) => {
        resolve(code)
        return undefined as never
      })
    })
    const events: string[] = []
    let release!: () => void
    let entered!: () => void
    const handlerEntered = new Promise<void>((resolve) => {
      entered = resolve
    })
    const app = Fastify()
    app.get('/slow', async () => {
      entered()
      await new Promise<void>((resolve) => {
        release = resolve
      })
      events.push('request finished')
      return { done: true }
    })
    app.addHook('onClose', async () => {
      events.push('pool closed')
    })
    await startServer(app, { port: 0, host: '127.0.0.1', graceDelayMs: 5000 })
    const { port } = app.server.address() as { port: number }

    const response = fetch(`http://127.0.0.1:${port}/slow`).then(async (r) => [
      r.status,
      await r.json(),
      r.headers.get('connection'),
    ])
    await handlerEntered
    process.emit('SIGTERM')
    // Closing has started: the listener is gone, the in-flight request is still being served.
    await vi.waitFor(() => expect(app.server.listening).toBe(false))
    expect(events).toEqual([])
    release()

    // Issue 15, scenario 4: the client must not reuse a connection the server is about to close.
    expect(await response).toEqual([200, { done: true }, 'close'])
    expect(await exited).toBe(0)
    expect(events).toEqual(['request finished', 'pool closed'])
  })
})
