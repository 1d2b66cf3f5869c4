import { removeControlFile, writeControlFile } from './control-file.js'
import { Launcher } from './launcher.js'
import { DEFAULT_PORTS, DEMO_PASSWORD, serviceUrls } from './services.js'

/**
 * `pnpm start`: the four services with their embedded defaults (SQLite files under each app's `data/`), logs
 * prefixed per service, the demo URL once all are ready, and a clean stop on Ctrl-C or SIGTERM.
 */
const settings = {
  accessTokenTtl: Number(process.env.ACCESS_TOKEN_TTL ?? 60),
  jwksMaxAge: Number(process.env.JWKS_MAX_AGE ?? 10),
  statusListTtl: Number(process.env.STATUS_LIST_TTL ?? 5),
}
const colour = process.stdout.isTTY === true && !process.env.NO_COLOR
const launcher = new Launcher({ ports: DEFAULT_PORTS, settings, colour, log: (line) => console.log(line) })

let shuttingDown = false
async function shutdown(code: number) {
  if (shuttingDown) return
  shuttingDown = true
  console.log('\nstopping the services…')
  await launcher.stopAll()
  removeControlFile()
  process.exit(code)
}
process.on('SIGINT', () => void shutdown(0))
process.on('SIGTERM', () => void shutdown(0))
// A stop asked for through the control endpoint is expected; any other exit ends the demo.
launcher.onUnexpectedExit((name) => {
  console.error(`${name} stopped unexpectedly; stopping the others`)
  void shutdown(1)
})

try {
  await launcher.startAll()
} catch (err) {
  console.error(`could not start the demo: ${(err as Error).message}`)
  await shutdown(1)
}
writeControlFile({
  pid: process.pid,
  controlUrl: launcher.controlUrl!,
  controlToken: launcher.controlToken,
  settings,
})
const urls = serviceUrls(DEFAULT_PORTS)
console.log(`
  Demo ready: ${urls.web}
  Sign in as alice or bob, password ${DEMO_PASSWORD}.
  auth-server ${urls.issuer} · orders-api ${urls.orders} · inventory-api ${urls.inventory}
  Access tokens live ${settings.accessTokenTtl} s here (ACCESS_TOKEN_TTL) so the expiry can be watched;
  a revoked one is refused within ${settings.statusListTtl} s (STATUS_LIST_TTL, the status lists' ttl).
  In another terminal: pnpm demo  ·  Ctrl-C stops everything.
`)
