import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'
import { admin, obtainCode, start } from './helpers.js'

const run = promisify(execFile)
// Each command is a fresh Node process compiling the CLI with tsx: seconds apiece on a loaded 2-core CI machine.
const CLI_TEST_TIMEOUT = 60_000
const appDir = new URL('..', import.meta.url).pathname

function cli(args: string[], env: Record<string, string>) {
  return run(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], {
    cwd: appDir,
    env: { ...process.env, ...env },
  })
}

describe('operator commands', () => {
  let dir: string | undefined
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true })
  })

  /** The server on a SQLite file of its own, removed after the test, so the CLI can open the same database. */
  async function startOnFile() {
    dir = mkdtempSync(join(tmpdir(), 'auth-cli-'))
    const DATABASE_URL = join(dir, 'auth.sqlite')
    return { DATABASE_URL, server: await start({ DATABASE_URL }) }
  }

  it(
    'disables and enables a user from the command line, against the server database',
    async () => {
      const { DATABASE_URL, server } = await startOnFile()
      const disabled = await cli(['users', 'disable', 'bob'], { DATABASE_URL })
      expect(disabled.stdout).toBe('bob disabled\n')
      await expect(obtainCode(server.url, { username: 'bob' })).rejects.toThrow(
        /Invalid username or password/,
      )
      await cli(['users', 'enable', 'bob'], { DATABASE_URL })
      expect((await obtainCode(server.url, { username: 'bob' })).code).toBeTruthy()
      await expect(cli(['users', 'disable', 'nobody'], { DATABASE_URL })).rejects.toMatchObject({ code: 1 })
      await expect(cli(['frobnicate'], { DATABASE_URL })).rejects.toMatchObject({ code: 2 })
    },
    CLI_TEST_TIMEOUT,
  )

  it(
    'rotates keys from the command line; the running server publishes the new key',
    async () => {
      const { DATABASE_URL, server } = await startOnFile()
      const { stdout } = await cli(['keys', 'rotate'], { DATABASE_URL })
      const kid = /new key (\S+)/.exec(stdout)?.[1]
      expect(stdout).toMatch(/pending/)
      const keys = ((await (await fetch(`${server.url}/jwks`)).json()) as { keys: Array<{ kid: string }> })
        .keys
      expect(keys.map((k) => k.kid)).toContain(kid)
      expect(keys).toHaveLength(2)
    },
    CLI_TEST_TIMEOUT,
  )

  it('disables users over HTTP only with the admin token', async () => {
    const server = await start()
    expect((await admin(server.adminUrl, '/admin/users/alice/disable', 'nope')).status).toBe(401)
    const response = await admin(server.adminUrl, '/admin/users/alice/disable')
    expect(await response.json()).toEqual({ username: 'alice', disabled: true })
    expect((await server.app.authServer.storage.users.findById('alice'))?.disabledAt).not.toBeNull()
  })
})
