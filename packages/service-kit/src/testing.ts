/**
 * Test helpers for any workspace that starts real servers (only on 127.0.0.1, never another interface).
 */
import { existsSync } from 'node:fs'
import { createServer } from 'node:net'
import { dirname, join, resolve } from 'node:path'

/**
 * A TCP port of 127.0.0.1 that was free a moment ago: for servers whose own URL must be known before they listen
 * (an issuer's `iss`, a redirect URI, a child process's `PORT`). Another process may take it in between, which on
 * a test machine is rare enough; `listen({ port: 0 })` is the better choice wherever the URL can come after.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}

/** The workspace root: the nearest folder at or above `from` holding pnpm-workspace.yaml (tools write docs/ there). */
export function workspaceRoot(from: string): string {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return dir
    if (dirname(dir) === dir) throw new Error(`no pnpm workspace above ${from}: pass --docs-dir`)
  }
}

/** A logger for a tool's progress on stderr, each line stamped with the seconds since it was made. */
export function elapsedLog(tool: string): (line: string) => void {
  const started = Date.now()
  return (line) => process.stderr.write(`[${tool} +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`)
}

/**
 * Runs `body` with a `defer` that registers clean-ups (stop a process, drop a database); they run last-registered
 * first once `body` settles, and a failing one is logged rather than hiding `body`'s own result or error.
 */
export async function withCleanups<T>(
  body: (defer: (cleanup: () => Promise<void> | void) => void) => Promise<T>,
  log: (line: string) => void,
): Promise<T> {
  const cleanups: Array<() => Promise<void> | void> = []
  try {
    return await body((cleanup) => cleanups.push(cleanup))
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup()
      } catch (error) {
        log(`cleanup failed: ${(error as Error).message}`)
      }
    }
  }
}
