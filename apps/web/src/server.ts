import { loggerOptions } from '@stateless-auth/service-kit/logger'
import { configOrExit, startServer } from '@stateless-auth/service-kit/server'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = configOrExit(() => loadConfig())
// A missing auth-server is the usual reason boot fails: say so in one line rather than with a stack.
const app = await buildApp(config, { fastify: { logger: loggerOptions(config.logLevel) } }).catch(
  (err: Error) => {
    console.error(`web: cannot start: ${err.message}`)
    process.exit(1)
  },
)
await startServer(app, { port: config.port, host: config.host })
