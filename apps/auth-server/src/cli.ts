import { loadConfig } from './config.js'
import { RotationPending } from './errors.js'
import { SigningKeys } from './keys/signing-keys.js'
import { openStorage } from './storage/index.js'

const USAGE = `usage:
  cli users disable <username>   refuse the user's logins and refreshes
  cli users enable <username>
  cli keys rotate                publish a new signing key (it signs after JWKS_MAX_AGE seconds)
  cli keys list`

/** Operator commands against the same database the server uses (DATABASE_URL). */
async function main(args: string[]): Promise<number> {
  const [area, action, name] = args
  const config = loadConfig()
  const storage = await openStorage(config.databaseUrl)
  const now = () => Math.floor(Date.now() / 1000)
  try {
    if (area === 'users' && (action === 'disable' || action === 'enable') && name) {
      if (!(await storage.users.setDisabled(name, action === 'disable', now()))) {
        console.error(`no user named ${name}`)
        return 1
      }
      console.log(`${name} ${action}d`)
      return 0
    }
    if (area === 'keys' && (action === 'rotate' || action === 'list')) {
      const keys = new SigningKeys(storage, config, now)
      await keys.ensure()
      if (action === 'rotate') {
        const key = await keys.rotate().catch((error: unknown) => {
          if (error instanceof RotationPending) return error
          throw error
        })
        if (key instanceof RotationPending) {
          console.error(key.message)
          return 1
        }
        console.log(
          `new key ${key.kid} (${key.alg}) published; signs from ${new Date(key.activatesAt * 1000).toISOString()}`,
        )
      }
      for (const key of await keys.list()) {
        const state =
          key.activatesAt > now()
            ? 'pending'
            : key.retiresAt !== null && key.retiresAt <= now()
              ? 'retired'
              : 'active'
        console.log(`${key.kid}  ${key.alg}  ${state}`)
      }
      return 0
    }
    console.error(USAGE)
    return 2
  } finally {
    await storage.close()
  }
}

process.exitCode = await main(process.argv.slice(2))
