import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type DemoPorts,
  type DemoSettings,
  type ServiceName,
  type ServiceSpec,
  serviceEnv,
  serviceSpecs,
} from './services.js'

export interface LauncherOptions {
  ports: DemoPorts
  settings: DemoSettings
  /** Where prefixed log lines go; `undefined` silences the services. */
  log?: (line: string) => void
  colour?: boolean
  readyTimeoutMs?: number
  /** The host in the URLs the services advertise (`localhost` for people, `127.0.0.1` in tests). */
  host?: string
  /** A folder for the services' SQLite files (tests); by default each app uses its own `data/`. */
  databaseDir?: string
  /** Extra environment for every service, applied last (e.g. `LOG_LEVEL`). */
  extraEnv?: Record<string, string>
}

const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
}

/** One pino JSON line made readable (time, level, message, request); anything else as it came. */
export function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line
  try {
    const entry = JSON.parse(line) as Record<string, unknown>
    const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 19) : ''
    const level = LEVELS[entry.level as number] ?? String(entry.level ?? '')
    const req = entry.req as { method?: string; url?: string } | undefined
    const res = entry.res as { statusCode?: number } | undefined
    const extra = [
      req?.method && `${req.method} ${req.url}`,
      res?.statusCode,
      entry.err && JSON.stringify(entry.err),
    ]
    return [time, level.padEnd(5), entry.msg, ...extra]
      .filter((part) => part !== undefined && part !== '')
      .join(' ')
  } catch {
    return line
  }
}

/**
 * Runs the four services as child processes (`node dist/server.js` in each app), prefixes their logs, waits for
 * each `/ready`, and offers a loopback-only control endpoint (shared secret) through which the web app can
 * really stop and start the auth-server.
 */
export class Launcher {
  readonly specs: ServiceSpec[]
  readonly controlToken = randomBytes(24).toString('base64url')
  #children = new Map<ServiceName, ChildProcess>()
  #stopping = new Set<ServiceName>()
  #control: Server | undefined
  #controlUrl: string | undefined
  #onUnexpectedExit: ((name: ServiceName, code: number | null) => void) | undefined

  constructor(readonly options: LauncherOptions) {
    this.specs = serviceSpecs(options.ports)
  }

  get controlUrl(): string | undefined {
    return this.#controlUrl
  }

  /** Called when a service exits without being asked to. */
  onUnexpectedExit(fn: (name: ServiceName, code: number | null) => void): void {
    this.#onUnexpectedExit = fn
  }

  #spec(name: ServiceName): ServiceSpec {
    return this.specs.find((s) => s.name === name)!
  }

  #print(spec: ServiceSpec, line: string): void {
    const { log, colour } = this.options
    if (!log) return
    const name = spec.name.padEnd(13)
    log(`${colour ? `\x1b[${spec.colour}m${name}\x1b[0m` : name} │ ${formatLogLine(line)}`)
  }

  /** Starts one service and resolves once its `/ready` answers 200. */
  async start(name: ServiceName): Promise<void> {
    if (this.#children.has(name)) return
    const spec = this.#spec(name)
    const entry = `${spec.dir}/dist/server.js`
    if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm build)`)
    const control = this.#controlUrl ? { url: this.#controlUrl, token: this.controlToken } : undefined
    const child = spawn(process.execPath, [entry], {
      cwd: spec.dir,
      env: {
        ...serviceEnv(spec, this.options.ports, this.options.settings, control, this.options.host),
        ...(this.options.databaseDir ? { DATABASE_URL: `${this.options.databaseDir}/${name}.sqlite` } : {}),
        ...this.options.extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#children.set(name, child)
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => this.#print(spec, line))
    }
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    void exited.then((code) => {
      this.#children.delete(name)
      if (!this.#stopping.delete(name)) {
        this.#print(spec, `exited unexpectedly (code ${code})`)
        this.#onUnexpectedExit?.(name, code)
      }
    })
    const ready = this.#waitReady(spec)
    const outcome = await Promise.race([ready, exited.then((code) => ({ exited: code }))])
    if (typeof outcome === 'object')
      throw new Error(`${name} exited with code ${outcome.exited} while starting`)
  }

  async #waitReady(spec: ServiceSpec): Promise<true> {
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 60_000)
    const url = `http://127.0.0.1:${spec.port}/ready`
    while (Date.now() < deadline) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(2000) })
        if (res.ok) return true
      } catch {}
      await sleep(200)
    }
    throw new Error(`${spec.name} was not ready at ${url} in time`)
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process has exited. */
  async stop(name: ServiceName, graceMs = 10_000): Promise<void> {
    const child = this.#children.get(name)
    if (!child || child.exitCode !== null) return
    this.#stopping.add(name)
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  isRunning(name: ServiceName): boolean {
    return this.#children.has(name)
  }

  /** The auth-server first (the others read its metadata), the two APIs together, the web app last. */
  async startAll(): Promise<void> {
    await this.startControl()
    await this.start('auth-server')
    await Promise.all([this.start('orders-api'), this.start('inventory-api')])
    await this.start('web')
  }

  async stopAll(): Promise<void> {
    await this.stop('web')
    await Promise.all([this.stop('orders-api'), this.stop('inventory-api')])
    await this.stop('auth-server')
    await new Promise<void>((resolve) => (this.#control ? this.#control.close(() => resolve()) : resolve()))
  }

  /**
   * The web app's demo control contract (apps/web/src/control.ts): `POST /auth-server/stop|start` with
   * `Authorization: Bearer <token>`, on 127.0.0.1 only. Only the auth-server can be controlled: that is the
   * outage the demo shows.
   */
  async startControl(): Promise<string> {
    if (this.#controlUrl) return this.#controlUrl
    const expected = Buffer.from(`Bearer ${this.controlToken}`)
    const server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        res.end(JSON.stringify(body))
      }
      const given = Buffer.from(req.headers.authorization ?? '')
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        return send(401, {
          error: 'unauthorized',
          error_description: 'the demo control token is required',
        })
      }
      const match = /^\/auth-server\/(stop|start)$/.exec(req.url ?? '')
      if (req.method !== 'POST' || !match) return send(404, { error: 'not_found' })
      const action = match[1] === 'stop' ? this.stop('auth-server') : this.start('auth-server')
      action.then(
        () =>
          send(200, { service: 'auth-server', state: this.isRunning('auth-server') ? 'running' : 'stopped' }),
        (err: Error) => send(500, { error: 'control_failed', error_description: err.message }),
      )
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    this.#control = server
    this.#controlUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    return this.#controlUrl
  }
}
