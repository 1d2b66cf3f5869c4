// `docker compose` for the smoke test: the project and profiles come from the environment
// (scripts/compose-test.sh sets them), so every command here acts on the test's own stack.
import { spawn } from 'node:child_process'
import { createWriteStream } from 'node:fs'

function run(command, args, log) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let output = ''
    const sink = log ? createWriteStream(log, { flags: 'a' }) : undefined
    for (const stream of [child.stdout, child.stderr]) {
      stream.on('data', (chunk) => {
        output += chunk
        sink?.write(chunk)
      })
    }
    child.on('error', reject)
    child.on('close', (code) => {
      sink?.end()
      if (code === 0) resolve(output.trim())
      else reject(new Error(`${command} ${args.join(' ')} exited ${code}\n${output.slice(-3000)}`))
    })
  })
}

/** `docker compose …args`; resolves with its output, rejects with its tail. `log` also appends it to a file. */
export const compose = (args, { log } = {}) => run('docker', ['compose', ...args], log)

/** The host port of every replica of `service` for its container `port`, checked to be on 127.0.0.1. */
export async function hostPorts(service, port) {
  const ids = (await compose(['ps', '-q', service])).split('\n').filter(Boolean)
  const ports = []
  for (let index = 1; index <= ids.length; index++) {
    const address = await compose(['port', '--index', String(index), service, String(port)])
    if (!address.startsWith('127.0.0.1:')) {
      throw new Error(`${service} #${index} is published on ${address}, not 127.0.0.1 only`)
    }
    ports.push(Number(address.split(':')[1]))
  }
  return ports
}

/** When the container of `service` (its only one), or the container `id`, last started: changes on every restart. */
export async function startedAt(service, id) {
  const container = id ?? (await compose(['ps', '-q', service]))
  return run('docker', ['inspect', '--format', '{{.State.StartedAt}}', container])
}

/** `docker …args` (the engine's own commands, for one container rather than a whole service). */
export const docker = (args) => run('docker', args)

/**
 * The container of replica `index` of `service`: the one whose `com.docker.compose.container-number` label is
 * `index`, the number `docker compose port --index` uses.
 */
export async function containerOf(service, index) {
  const ids = (await compose(['ps', '-q', service])).split('\n').filter(Boolean)
  for (const id of ids) {
    const number = await docker([
      'inspect',
      '--format',
      '{{index .Config.Labels "com.docker.compose.container-number"}}',
      id,
    ])
    if (number === String(index)) return id
  }
  throw new Error(`${service} has no replica #${index} (containers ${ids})`)
}
