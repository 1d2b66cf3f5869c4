import { configOrExit, loggerOptions, startServer } from '@stateless-auth/resource-server'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const config = configOrExit(() => loadConfig())
const app = await buildApp(config, { logger: loggerOptions(config.logLevel) })
await startServer(app, { port: config.port, host: config.host })
