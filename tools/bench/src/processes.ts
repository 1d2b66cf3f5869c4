import { type ChildProcess, fork } from 'node:child_process'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { BenchError } from './errors.js'

/** Messages a child sends: `ready` once listening, then one `reply` per parent request. */
export type ChildMessage =
  | { type: 'ready'; url: string }
  | { type: 'reply'; id: number; value: unknown }
  | { type: 'failed'; message: string }

export type ParentMessage = { type: 'ask'; id: number; question: string } | { type: 'close' }

export interface Child {
  url: string
  pid: number
  /** Asks the child something (`stats`, `memory`, …) over IPC and waits for its answer. */
  ask<T>(question: string): Promise<T>
  close(): Promise<void>
}

const children = new Set<ChildProcess>()
// Children also exit on their own when the IPC channel closes; this only speeds that up on Ctrl-C.
process.once('exit', () => {
  for (const child of children) child.kill('SIGTERM')
})

/**
 * Starts one of the bench's server processes (`dist/children/<name>.js`) with its configuration in the
 * environment, and resolves once it listens on 127.0.0.1. Servers run in their own processes so that the load
 * generator and the server under load never share an event loop.
 */
export function startChild(
  name: 'resource-server',
  env: Record<string, string>,
  options: { execArgv?: string[]; startTimeoutMs?: number } = {},
): Promise<Child> {
  const script = fileURLToPath(new URL(`./children/${name}.js`, import.meta.url))
  const child = fork(script, [], {
    env: { ...process.env, ...env },
    execArgv: options.execArgv ?? [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = new Promise<string>((resolve, reject) => {
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') resolve(message.url)
      else if (message.type === 'failed')
        reject(new BenchError('BENCH_ERR_CHILD_FAILED', `${name}: ${message.message}`))
    })
  })
  return connect(name, child, ready, options.startTimeoutMs)
}

/**
 * Starts a built app (`node <entry>`, e.g. the auth-server's `dist/server.js`) as its users run it: configuration
 * in environment variables, listening on `port`; resolves once `${url}/ready` answers 200. The bench's probe is
 * preloaded to count the requests the app receives and to report its CPU time.
 */
export function startApp(
  name: string,
  entry: string,
  port: number,
  env: Record<string, string>,
  options: { startTimeoutMs?: number } = {},
): Promise<Child> {
  const probe = fileURLToPath(new URL('./children/probe.js', import.meta.url))
  const child = fork(entry, [], {
    cwd: dirname(dirname(entry)),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    execArgv: ['--import', pathToFileURL(probe).href],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const url = `http://127.0.0.1:${port}`
  const ready = (async () => {
    while (child.exitCode === null) {
      const ok = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
        (res) => res.ok,
        () => false,
      )
      if (ok) return url
      await sleep(100)
    }
    throw new BenchError('BENCH_ERR_CHILD_FAILED', `${name} exited with code ${child.exitCode}`)
  })()
  return connect(name, child, ready, options.startTimeoutMs)
}

/** Waits for `ready`, then offers the child's IPC questions and its graceful close. */
function connect(name: string, child: ChildProcess, ready: Promise<string>, startTimeoutMs = 60_000) {
  children.add(child)
  const pending = new Map<number, (value: unknown) => void>()
  let nextId = 1
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  exited.then(() => children.delete(child))
  child.on('message', (message: ChildMessage) => {
    if (message.type !== 'reply') return
    pending.get(message.id)?.(message.value)
    pending.delete(message.id)
  })

  return new Promise<Child>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new BenchError('BENCH_ERR_CHILD_FAILED', `${name} did not start in time`))
    }, startTimeoutMs)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new BenchError('BENCH_ERR_CHILD_FAILED', `${name} exited with code ${code} before it was ready`))
    })
    ready.then(
      (url) => {
        clearTimeout(timer)
        resolve({
          url,
          pid: child.pid ?? -1,
          ask<T>(question: string) {
            return new Promise<T>((answer, fail) => {
              if (!child.connected) return fail(new BenchError('BENCH_ERR_CHILD_FAILED', `${name} is gone`))
              const id = nextId++
              pending.set(id, answer as (value: unknown) => void)
              child.send({ type: 'ask', id, question } satisfies ParentMessage)
            })
          },
          async close() {
            if (child.exitCode !== null || child.signalCode !== null) return
            if (child.connected) child.send({ type: 'close' } satisfies ParentMessage)
            else child.kill('SIGTERM')
            const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
            await exited
            clearTimeout(killer)
          },
        })
      },
      (error: unknown) => {
        clearTimeout(timer)
        child.kill('SIGKILL')
        reject(error)
      },
    )
  })
}

/**
 * The child side: reports readiness, answers questions with `answer`, and closes on request or when the
 * parent goes away (so a crashed bench never leaves servers behind).
 */
export function serveParent(url: string, answer: (question: string) => unknown, close: () => Promise<void>) {
  const send = (message: ChildMessage) => process.send?.(message)
  let closing = false
  const shutdown = () => {
    if (closing) return
    closing = true
    close().finally(() => process.exit(0))
  }
  process.on('message', async (message: ParentMessage) => {
    if (message.type === 'close') shutdown()
    else if (message.type === 'ask') {
      // CPU time (user + system, µs) is what a request really costs the server, however busy the machine is.
      const value = message.question === 'cpu' ? cpuMicros() : await answer(message.question)
      send({ type: 'reply', id: message.id, value })
    }
  })
  process.on('disconnect', shutdown)
  send({ type: 'ready', url })
}

function cpuMicros(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

export function reportFailure(error: unknown): never {
  process.send?.({ type: 'failed', message: (error as Error).message } satisfies ChildMessage)
  process.exit(1)
}
