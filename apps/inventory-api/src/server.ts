import { loggerOptions } from '@stateless-auth/service-kit/logger'
import { configOrExit, startServer } from '@stateless-auth/service-kit/server'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = configOrExit(() => loadConfig())
const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
await startServer(app, { port: config.port, host: config.host })
