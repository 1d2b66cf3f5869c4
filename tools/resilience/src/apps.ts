import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export type AppName = 'auth-server' | 'orders-api' | 'inventory-api' | 'web'

// Static specifiers, so that knip sees each dependency used; the apps' code is run, never imported.
const manifests: Record<AppName, string> = {
  'auth-server': import.meta.resolve('@stateless-auth/auth-server/package.json'),
  'orders-api': import.meta.resolve('@stateless-auth/orders-api/package.json'),
  'inventory-api': import.meta.resolve('@stateless-auth/inventory-api/package.json'),
  web: import.meta.resolve('@stateless-auth/web/package.json'),
}

/** The folder of an app's package (its `dist/`, and files such as the auth-server's `clients.json`). */
export const appDir = (name: AppName): string => dirname(fileURLToPath(manifests[name]))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

/**
 * One built app (`node dist/server.js`) as a process on 127.0.0.1 and a fixed port, configured through its
 * environment, that a scenario can kill with any signal and start again on the same port and database.
 */
export class AppProcess {
  #child: ChildProcess | undefined
  #exited: Promise<Exit> | undefined
  /** The last lines the process wrote (its warnings and errors), printed when a scenario fails. */
  readonly lastLines: string[] = []
  /** Lines logged at level error or fatal (pino level ≥ 50) over every run of the process. */
  errorLines = 0
  starts = 0

  constructor(
    readonly name: AppName,
    readonly port: number,
    readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`
  }

  get pid(): number | undefined {
    return this.running ? this.#child?.pid : undefined
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null
  }

  /** Starts the process and resolves with the milliseconds until its `/ready` answered 200. */
  async start(timeoutMs = 60_000): Promise<number> {
    if (this.running) throw new Error(`${this.name} is already running`)
    const dir = appDir(this.name)
    const entry = join(dir, 'dist/server.js')
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm build)`)
    const started = Date.now()
    const child = spawn(process.execPath, [entry], {
      cwd: dir,
      env: { ...process.env, LOG_LEVEL: 'warn', ...this.env, PORT: String(this.port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.starts++
    this.#child = child
    this.#exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })))
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.#keep(line))
    }
    while (Date.now() - started < timeoutMs) {
      if (!this.running) {
        const exit = await this.#exited
        throw new Error(`${this.name} exited (${exit.signal ?? exit.code}) while starting:\n${this.tail()}`)
      }
      const ready = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
        async (res) => {
          await res.arrayBuffer()
          return res.ok
        },
        () => false,
      )
      if (ready) return Date.now() - started
      await sleep(50)
    }
    child.kill('SIGKILL')
    throw new Error(`${this.name} was not ready within ${timeoutMs} ms:\n${this.tail()}`)
  }

  #keep(line: string): void {
    if (/"level":(5|6)\d/.test(line)) this.errorLines++
    this.lastLines.push(line)
    if (this.lastLines.length > 40) this.lastLines.shift()
  }

  tail(): string {
    return this.lastLines.map((line) => `  ${this.name} │ ${line}`).join('\n')
  }

  /** Sends `signal` and resolves when the process has exited, with how and how long it took. */
  async kill(signal: NodeJS.Signals): Promise<Exit & { ms: number }> {
    const child = this.#child
    if (!child || !this.running || !this.#exited) throw new Error(`${this.name} is not running`)
    const sent = Date.now()
    child.kill(signal)
    const exit = await this.#exited
    return { ...exit, ms: Date.now() - sent }
  }

  /** Stops the process if it runs (SIGTERM, SIGKILL after 15 s). */
  async stop(): Promise<void> {
    if (!this.running || !this.#exited) return
    const timer = setTimeout(() => this.#child?.kill('SIGKILL'), 15_000)
    this.#child?.kill('SIGTERM')
    await this.#exited
    clearTimeout(timer)
  }

  /** Resident memory (bytes) and open file descriptors, from /proc; undefined where there is no /proc. */
  usage(): { rss: number; fds: number } | undefined {
    const pid = this.pid
    if (pid === undefined) return undefined
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8')
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN)
      return { rss: rssKb * 1024, fds: readdirSync(`/proc/${pid}/fd`).length }
    } catch {
      return undefined
    }
  }
}

const everyApp = new Set<AppProcess>()
export function track(app: AppProcess): AppProcess {
  everyApp.add(app)
  return app
}
// A failed or interrupted run must not leave servers behind.
process.once('exit', () => {
  for (const app of everyApp) if (app.running) process.kill(app.pid!, 'SIGKILL')
})
