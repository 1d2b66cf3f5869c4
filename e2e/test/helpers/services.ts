import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import { dirname, join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'

export type AppName = 'auth-server' | 'orders-api' | 'inventory-api' | 'web'

/** An app's folder, through this workspace's dependency on it: its built server is run, never imported. */
// Static specifiers, so that tools reading the imports (knip) see each dependency used.
const manifests: Record<AppName, string> = {
  'auth-server': import.meta.resolve('@stateless-auth/auth-server/package.json'),
  'orders-api': import.meta.resolve('@stateless-auth/orders-api/package.json'),
  'inventory-api': import.meta.resolve('@stateless-auth/inventory-api/package.json'),
  web: import.meta.resolve('@stateless-auth/web/package.json'),
}
export const appDir = (name: AppName) => dirname(fileURLToPath(manifests[name]))

export interface Service {
  url: string
  /** Everything the process wrote to stdout and stderr so far. */
  output(): string
  stop(): Promise<void>
}

/**
 * Starts a built app as its users do: `node dist/server.js` with its configuration in environment variables,
 * listening on 127.0.0.1:`port`; resolves once `/ready` answers 200. Its output is kept and shown if it fails.
 */
export async function startService(
  name: AppName,
  port: number,
  env: Record<string, string>,
): Promise<Service> {
  const entry = join(appDir(name), 'dist/server.js')
  if (!existsSync(entry)) throw new Error(`${entry} is missing: build first (pnpm build)`)
  const child: ChildProcess = spawn(process.execPath, [entry], {
    cwd: appDir(name),
    env: {
      PATH: process.env.PATH ?? '',
      LOG_LEVEL: 'warn',
      // The auth-server's operator listener: a free port unless the test names one (tests run side by side).
      ...(name === 'auth-server' ? { ADMIN_PORT: '0' } : {}),
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk) => (output += chunk))
  child.stderr?.on('data', (chunk) => (output += chunk))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const url = `http://127.0.0.1:${port}`
  // A cold start on a loaded 2-core machine has taken over 30 s; the suites' hook timeout (120 s) is the bound.
  const deadline = Date.now() + 60_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`)
    const ready = await fetch(`${url}/ready`, { signal: AbortSignal.timeout(2000) }).then(
      (res) => res.ok,
      () => false,
    )
    if (ready) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} was not ready in time:\n${output}`)
    }
    await sleep(100)
  }
  return {
    url,
    output: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killer)
    },
  }
}

export interface CountingProxy {
  url: string
  /** Paths of the requests that passed through, in order. */
  seen: string[]
  /** Every `access_token` and `refresh_token` the token endpoint answered with, as issued. */
  issuedTokens: string[]
  close(): Promise<void>
}

/**
 * A transparent HTTP proxy on 127.0.0.1:`port` in front of 127.0.0.1:`target`, recording each request's path:
 * how a test sees every request that reaches the auth-server. While nothing listens at the target, it drops
 * the connection, so callers see the auth-server as unreachable.
 */
export async function countingProxy(port: number, target: number): Promise<CountingProxy> {
  const seen: string[] = []
  const issuedTokens: string[] = []
  const server: Server = createServer((req, res) => {
    seen.push((req.url ?? '').split('?')[0] ?? '')
    const upstream = httpRequest(
      { host: '127.0.0.1', port: target, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
        if (!req.url?.startsWith('/token')) return
        const chunks: Buffer[] = []
        answer.on('data', (chunk: Buffer) => chunks.push(chunk))
        answer.on('end', () => {
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>
            for (const name of ['access_token', 'refresh_token']) {
              if (typeof body[name] === 'string') issuedTokens.push(body[name])
            }
          } catch {}
        })
      },
    )
    upstream.on('error', () => req.socket.destroy())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    issuedTokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
