import { readControlFile } from './control-file.js'
import { Launcher } from './launcher.js'
import { createNarrator, summaryTable } from './narrator.js'
import { DEFAULT_PORTS, DEMO_PASSWORD, LOCAL_ADMIN_TOKEN, type ServiceName, serviceUrls } from './services.js'
import { runWalkthrough, type WalkthroughTarget } from './walkthrough.js'

/**
 * `pnpm demo`: the narrated walkthrough against the services of a running `pnpm start`, or against its own
 * (auth-server and the two APIs, with 10-second access tokens and 3-second status lists) when none are running.
 */
const colour = process.stdout.isTTY === true && !process.env.NO_COLOR
const narrator = createNarrator((line) => console.log(line), colour)
const urls = serviceUrls(DEFAULT_PORTS)
const maxWaitSeconds = Number(process.env.DEMO_MAX_WAIT ?? 75)
const adminToken = process.env.ADMIN_TOKEN ?? LOCAL_ADMIN_TOKEN
const password = process.env.DEMO_USER_PASSWORD ?? DEMO_PASSWORD

const isReady = (port: number) =>
  fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1500) }).then(
    (r) => r.ok,
    () => false,
  )
const names: ServiceName[] = ['auth-server', 'orders-api', 'inventory-api']
const running = await Promise.all(names.map((name) => isReady(DEFAULT_PORTS[name])))
// The page's "stop the auth-server" experiment may have left it stopped under a running `pnpm start`.
const launched = readControlFile()
if (launched && !running[0] && running[1] && running[2]) {
  console.log('The auth-server of pnpm start is stopped; starting it again…')
  const res = await fetch(`${launched.controlUrl}/auth-server/start`, {
    method: 'POST',
    headers: { authorization: `Bearer ${launched.controlToken}` },
  })
  running[0] = res.ok
}

/** What every walkthrough target shares; `authServer` is how the outage step stops and starts it, where it can. */
const targetWith = (authServer?: WalkthroughTarget['authServer']): WalkthroughTarget => ({
  urls,
  adminToken,
  password,
  maxWaitSeconds,
  clockTolerance: 5,
  ...(authServer ? { authServer } : {}),
})

let launcher: Launcher | undefined
let target: WalkthroughTarget
if (running.every(Boolean)) {
  const control = launched
  console.log(`Using the running services${control ? ' of pnpm start' : ''}.`)
  const post = (action: string) => async () => {
    const res = await fetch(`${control!.controlUrl}/auth-server/${action}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${control!.controlToken}` },
    })
    if (!res.ok) throw new Error(`launcher refused to ${action} the auth-server: ${res.status}`)
  }
  target = targetWith(control ? { stop: post('stop'), start: post('start') } : undefined)
} else if (running.some(Boolean)) {
  const up = names.filter((_, i) => running[i])
  console.error(`Only some services answer (${up.join(', ')}): stop them or start all with pnpm start.`)
  process.exit(1)
} else {
  console.log('No services running: starting auth-server, orders-api and inventory-api for this walkthrough…')
  launcher = new Launcher({
    ports: DEFAULT_PORTS,
    settings: { accessTokenTtl: 10, jwksMaxAge: 3, statusListTtl: 3 },
  })
  await launcher.start('auth-server')
  await Promise.all([launcher.start('orders-api'), launcher.start('inventory-api')])
  const own = launcher
  target = targetWith({ stop: () => own.stop('auth-server'), start: () => own.start('auth-server') })
}

let crashed: unknown
try {
  await runWalkthrough(target, narrator)
} catch (err) {
  crashed = err
}
await launcher?.stopAll()
const records = narrator.summary()
console.log(`\n${summaryTable(records)}`)
if (crashed) console.error(`\nThe walkthrough stopped early: ${(crashed as Error).stack ?? crashed}`)
process.exit(crashed || records.some((r) => r.verdict === 'failed') ? 1 : 0)
