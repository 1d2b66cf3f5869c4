/**
 * Preloaded (`node --import`) into a built app started by the bench: counts the HTTP requests the app's server
 * receives, by path, and answers the bench's questions over IPC. It observes the process from outside the app
 * (Node's `http.server.request.start` diagnostics channel), so the app runs exactly as it does in production.
 */
import { subscribe } from 'node:diagnostics_channel'
import type { IncomingMessage } from 'node:http'
import type { ParentMessage } from '../processes.js'

export type RequestCounts = Record<string, number>

const counts: RequestCounts = {}
subscribe('http.server.request.start', (message) => {
  const { request } = message as { request: IncomingMessage }
  const path = (request.url ?? '').split('?')[0] ?? ''
  counts[path] = (counts[path] ?? 0) + 1
})

function answer(question: string): unknown {
  if (question === 'counts') return { ...counts }
  // CPU time (user + system, µs) is what a request really costs the server, however busy the machine is.
  const { user, system } = process.cpuUsage()
  return question === 'cpu' ? user + system : undefined
}

// SIGTERM is how the app is asked to stop in production: it drains, closes its stores, then exits.
const stop = () => process.kill(process.pid, 'SIGTERM')
process.on('message', (message: ParentMessage) => {
  if (message.type === 'close') stop()
  else if (message.type === 'ask')
    process.send?.({ type: 'reply', id: message.id, value: answer(message.question) })
})
process.on('disconnect', stop)
// The IPC channel must not keep the process alive once the app has closed its server.
process.channel?.unref()
